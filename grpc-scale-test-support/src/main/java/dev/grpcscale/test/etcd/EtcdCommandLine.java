package dev.grpcscale.test.etcd;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

import org.jspecify.annotations.Nullable;

import dev.grpcscale.test.etcd.EtcdCluster.ServerTls;

/**
 * The command that starts one member of a new test cluster: its ports, the initial cluster of every member's
 * advertised peer URL, the raft timings, the log file and, with {@link ServerTls}, the client port's TLS.
 */
final class EtcdCommandLine {

	private final String binary;

	private final String token;

	private final Duration heartbeat;

	private final Duration electionTimeout;

	private final @Nullable ServerTls tls;

	/**
	 * @param binary the etcd binary
	 * @param token the cluster's {@code --initial-cluster-token}, unique per cluster
	 * @param heartbeat the raft heartbeat interval
	 * @param electionTimeout the raft election timeout
	 * @param tls the client port's TLS, or {@code null} for plain HTTP
	 */
	EtcdCommandLine(String binary, String token, Duration heartbeat, Duration electionTimeout,
			@Nullable ServerTls tls) {
		this.binary = binary;
		this.token = token;
		this.heartbeat = heartbeat;
		this.electionTimeout = electionTimeout;
		this.tls = tls;
	}

	/**
	 * The command of one member.
	 * @param member the member
	 * @param cluster every member of the cluster, {@code member} among them
	 * @return the command and its arguments
	 */
	List<String> of(MemberEndpoints member, List<MemberEndpoints> cluster) {
		String initialCluster = cluster.stream()
			.map((peer) -> peer.name() + "=" + peer.advertisedPeerUrl())
			.collect(Collectors.joining(","));
		List<String> command = new ArrayList<>(List.of(this.binary, "--name", member.name(), "--data-dir",
				member.dataDir().toString(), "--listen-client-urls", member.clientUrl(), "--advertise-client-urls",
				member.clientUrl(), "--listen-peer-urls", member.peerUrl(), "--initial-advertise-peer-urls",
				member.advertisedPeerUrl(), "--initial-cluster", initialCluster, "--initial-cluster-state", "new",
				"--initial-cluster-token", this.token, "--heartbeat-interval", String.valueOf(this.heartbeat.toMillis()),
				"--election-timeout", String.valueOf(this.electionTimeout.toMillis()), "--logger", "zap",
				"--log-outputs", member.log().toString()));
		if (this.tls != null) {
			command.addAll(List.of("--cert-file", this.tls.certificate().toString(), "--key-file",
					this.tls.key().toString()));
			if (this.tls.clientCertAuth()) {
				command.addAll(List.of("--client-cert-auth", "--trusted-ca-file", this.tls.ca().toString()));
			}
		}
		return List.copyOf(command);
	}

}
