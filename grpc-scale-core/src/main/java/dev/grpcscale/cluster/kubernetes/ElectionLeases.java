package dev.grpcscale.cluster.kubernetes;

import java.time.ZonedDateTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.NonNamespaceOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import org.jspecify.annotations.Nullable;

/**
 * The Lease objects of one election and the API calls on them: blocking, each one request, every write of
 * an existing object conditional on the {@code resourceVersion} it carries (the API server answers 409
 * Conflict when the object changed since). Used on the election's I/O thread only.
 */
final class ElectionLeases {

	/** HTTP status of a failed precondition or an existing object. */
	static final int CONFLICT = 409;

	/** HTTP status of a missing object. */
	static final int NOT_FOUND = 404;

	private final KubernetesClient client;

	private final String namespace;

	private final String leaseName;

	private final String memberLeaseName;

	private final int durationSeconds;

	private final String instance;

	ElectionLeases(KubernetesClient client, String namespace, String leaseName, String memberLeaseName,
			int durationSeconds, String instance) {
		this.instance = instance;
		this.client = client;
		this.namespace = namespace;
		this.leaseName = leaseName;
		this.memberLeaseName = memberLeaseName;
		this.durationSeconds = durationSeconds;
	}

	String leaseName() {
		return this.leaseName;
	}

	String memberLeaseName() {
		return this.memberLeaseName;
	}

	/** The election Lease, or {@code null} when absent. */
	@Nullable Lease getElection() {
		return leases().withName(this.leaseName).get();
	}

	/** Every Lease labelled with this election: the election Lease (as grpc-scale wrote it) and member Leases. */
	List<Lease> listElection() {
		LeaseList list = leases().withLabel(LeaseNames.ELECTION_LABEL, this.leaseName).list();
		return (list.getItems() != null) ? list.getItems() : List.of();
	}

	/**
	 * Writes the election Lease: creates it when {@code base} is {@code null}, else replaces {@code base}'s
	 * version, keeping the labels and annotations others put on it.
	 * @param base the Lease as last read or written, {@code null} to create
	 * @param holder {@code holderIdentity}, {@code null} to release
	 * @param address the holder's address
	 * @param transitions {@code leaseTransitions}
	 * @param acquireTime {@code acquireTime}
	 * @param renewTime {@code renewTime}
	 * @param durationSeconds {@code leaseDurationSeconds}
	 * @return the Lease as written
	 * @throws KubernetesClientException with code {@value #CONFLICT} when the Lease exists (create) or changed
	 * (replace), {@value #NOT_FOUND} when it vanished
	 */
	Lease writeElection(@Nullable Lease base, @Nullable String holder, String address, int transitions,
			@Nullable ZonedDateTime acquireTime, ZonedDateTime renewTime, int durationSeconds) {
		ObjectMeta meta = (base != null) ? base.getMetadata() : null;
		Map<String, String> labels = merged((meta != null) ? meta.getLabels() : null, labels(LeaseNames.ROLE_LEADER));
		Map<String, String> annotations = merged((meta != null) ? meta.getAnnotations() : null,
				Map.of(LeaseNames.ADDRESS_ANNOTATION, address, LeaseNames.INSTANCE_ANNOTATION, this.instance));
		String resourceVersion = version(base);
		Lease lease = new LeaseBuilder().withNewMetadata()
			.withName(this.leaseName)
			.withNamespace(this.namespace)
			.withResourceVersion(resourceVersion)
			.withLabels(labels)
			.withAnnotations(annotations)
			.endMetadata()
			.withNewSpec()
			.withHolderIdentity(holder)
			.withLeaseDurationSeconds(durationSeconds)
			.withLeaseTransitions(transitions)
			.withAcquireTime(acquireTime)
			.withRenewTime(renewTime)
			.endSpec()
			.build();
		return write(lease, resourceVersion);
	}

	/**
	 * Writes this node's member Lease: created when {@code resourceVersion} is {@code null}, else replacing the
	 * version given.
	 * @throws KubernetesClientException as {@link #writeElection}
	 */
	Lease writeMember(@Nullable String resourceVersion, String nodeId, String address, ZonedDateTime renewTime) {
		Lease lease = new LeaseBuilder().withNewMetadata()
			.withName(this.memberLeaseName)
			.withNamespace(this.namespace)
			.withResourceVersion(resourceVersion)
			.withLabels(labels(LeaseNames.ROLE_MEMBER))
			.withAnnotations(Map.of(LeaseNames.ADDRESS_ANNOTATION, address))
			.endMetadata()
			.withNewSpec()
			.withHolderIdentity(nodeId)
			.withLeaseDurationSeconds(this.durationSeconds)
			.withRenewTime(renewTime)
			.endSpec()
			.build();
		return write(lease, resourceVersion);
	}

	/** This node's member Lease, or {@code null} when absent. */
	@Nullable Lease getMember() {
		return leases().withName(this.memberLeaseName).get();
	}

	/**
	 * Deletes a Lease if it still has the given version.
	 * @param name the Lease's name
	 * @param resourceVersion the version to delete
	 */
	void delete(String name, String resourceVersion) {
		leases().withName(name).lockResourceVersion(resourceVersion).delete();
	}

	/** Whether this election object wrote {@code lease} (its {@value LeaseNames#INSTANCE_ANNOTATION}). */
	boolean wroteItself(@Nullable Lease lease) {
		Map<String, String> annotations = (lease != null && lease.getMetadata() != null)
				? lease.getMetadata().getAnnotations() : null;
		return annotations != null && this.instance.equals(annotations.get(LeaseNames.INSTANCE_ANNOTATION));
	}

	static boolean isStatus(Throwable ex, int code) {
		return ex instanceof KubernetesClientException kubernetes && kubernetes.getCode() == code;
	}

	static @Nullable String version(@Nullable Lease lease) {
		return (lease != null && lease.getMetadata() != null) ? lease.getMetadata().getResourceVersion() : null;
	}

	private Lease write(Lease lease, @Nullable String resourceVersion) {
		Resource<Lease> resource = leases().resource(lease);
		return (resourceVersion == null) ? resource.create() : resource.update();
	}

	private static Map<String, String> merged(@Nullable Map<String, String> theirs, Map<String, String> ours) {
		Map<String, String> merged = new LinkedHashMap<>();
		if (theirs != null) {
			merged.putAll(theirs);
		}
		merged.putAll(ours);
		return merged;
	}

	private Map<String, String> labels(String role) {
		return Map.of(LeaseNames.ELECTION_LABEL, this.leaseName, LeaseNames.ROLE_LABEL, role,
				"app.kubernetes.io/managed-by", "grpc-scale");
	}

	private NonNamespaceOperation<Lease, LeaseList, Resource<Lease>> leases() {
		return this.client.leases().inNamespace(this.namespace);
	}

}
