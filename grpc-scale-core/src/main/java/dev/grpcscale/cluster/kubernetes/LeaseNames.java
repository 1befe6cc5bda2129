package dev.grpcscale.cluster.kubernetes;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The names of the Kubernetes objects a {@link KubernetesLeaderElection} writes, derived from the election's
 * qualified name and the node id. Needs no Kubernetes client on the class path, so configuration can be checked
 * without one.
 *
 * <p><b>Election Lease</b>: the qualified name ({@code <namespace>/<electionName>}, for example
 * {@code grpc-scale/Orders_Service}) lower-cased, with every character other than {@code a-z}, {@code 0-9} and
 * {@code -} replaced by {@code -}: {@code grpc-scale-orders-service}. It is also the value of the label
 * {@value #ELECTION_LABEL} on every Lease of the election, so it must be a DNS-1123 label: at most
 * {@value #MAX_LEASE_NAME} characters, beginning and ending with a letter or digit. Names that differ only in
 * case or in {@code .}/{@code _}/{@code -} map to the same Lease, so they are one election on Kubernetes.
 *
 * <p><b>Member Leases</b>: {@code <election lease>.<node id>} with the node id mapped the same way (the dot, which
 * no election Lease name has, keeps a member Lease from ever having the name of another election's Lease); when that
 * mapping changes the node id (upper case, {@code _}, {@code .}) or the name would exceed
 * {@value #MAX_OBJECT_NAME} characters, the mapped id is shortened and followed by {@code -} and 8 hex digits
 * of the SHA-256 of the node id, so two node ids never share a member Lease.
 */
public final class LeaseNames {

	/** Label on every Lease of an election: the election Lease's name. */
	public static final String ELECTION_LABEL = "grpc-scale.dev/election";

	/** Label telling the election Lease ({@value #ROLE_LEADER}) from member Leases ({@value #ROLE_MEMBER}). */
	public static final String ROLE_LABEL = "grpc-scale.dev/role";

	/** {@value #ROLE_LABEL} of the election Lease. */
	public static final String ROLE_LEADER = "leader";

	/** {@value #ROLE_LABEL} of a member Lease. */
	public static final String ROLE_MEMBER = "member";

	/** Annotation holding the address a node announces. */
	public static final String ADDRESS_ANNOTATION = "grpc-scale.dev/address";

	/**
	 * Annotation on the election Lease naming the election object (one per process and join) that wrote it, so a
	 * node takes a Lease naming its node id at once only if it wrote it itself, not when another process runs
	 * with the same node id (a restarted StatefulSet pod, or a misconfiguration).
	 */
	public static final String INSTANCE_ANNOTATION = "grpc-scale.dev/instance";

	/** Longest election Lease name: that of a label value (DNS-1123 label). */
	public static final int MAX_LEASE_NAME = 63;

	/** Longest object name (DNS-1123 subdomain). */
	public static final int MAX_OBJECT_NAME = 253;

	private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");

	private static final Pattern NOT_ALLOWED = Pattern.compile("[^a-z0-9-]");

	private LeaseNames() {
	}

	/**
	 * The election Lease's name for a qualified election name.
	 * @param qualifiedName the election's qualified name, for example {@code grpc-scale/orders}
	 * @return the Lease name, for example {@code grpc-scale-orders}
	 * @throws IllegalArgumentException if the mapped name is not a DNS-1123 label of at most
	 * {@value #MAX_LEASE_NAME} characters
	 */
	public static String leaseName(String qualifiedName) {
		String mapped = map(qualifiedName);
		if (mapped.length() > MAX_LEASE_NAME || !DNS_LABEL.matcher(mapped).matches()) {
			throw new IllegalArgumentException("leaseName: '" + mapped + "' from election '" + qualifiedName
					+ "' (expected: at most " + MAX_LEASE_NAME + " characters of a-z, 0-9 and '-', beginning and "
					+ "ending with a letter or digit; the election's name is lower-cased and every other character "
					+ "becomes '-')");
		}
		return mapped;
	}

	/**
	 * The member Lease's name of a node.
	 * @param leaseName the election Lease's name, from {@link #leaseName(String)}
	 * @param nodeId the node id
	 * @return the member Lease name
	 */
	public static String memberLeaseName(String leaseName, String nodeId) {
		String mapped = map(nodeId).replaceAll("^-+|-+$", "");
		String name = leaseName + "." + mapped;
		if (mapped.equals(nodeId) && !mapped.isEmpty() && name.length() <= MAX_OBJECT_NAME) {
			return name;
		}
		String hash = HexFormat.of().formatHex(sha256(nodeId), 0, 4);
		int room = MAX_OBJECT_NAME - leaseName.length() - hash.length() - 2;
		String shortened = (mapped.length() > room) ? mapped.substring(0, room).replaceAll("-+$", "") : mapped;
		return shortened.isEmpty() ? leaseName + "." + hash : leaseName + "." + shortened + "-" + hash;
	}

	private static String map(String name) {
		return NOT_ALLOWED.matcher(name.toLowerCase(Locale.ROOT)).replaceAll("-");
	}

	private static byte[] sha256(String value) {
		try {
			return MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException("SHA-256 is missing from this JVM", ex);
		}
	}

}
