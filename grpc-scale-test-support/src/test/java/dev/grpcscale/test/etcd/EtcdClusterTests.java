package dev.grpcscale.test.etcd;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

class EtcdClusterTests {

	private final HttpClient http = HttpClient.newHttpClient();

	@Test
	void threeMemberClusterNamesItsLeaderAndElectsAnotherWhenItIsKilled() throws Exception {
		try (EtcdCluster etcd = EtcdCluster.start(3)) {
			assertThat(etcd.clientEndpoints()).hasSize(3).allMatch((url) -> url.startsWith("http://127.0.0.1:"));
			assertThat(health(etcd.clientEndpoint(1))).contains("true");
			int leader = etcd.leader();
			assertThat(leader).isBetween(0, 2);
			etcd.kill(leader);
			assertThat(etcd.isRunning(leader)).isFalse();
			// the survivors elect a leader among themselves
			etcd.awaitHealthy((leader + 1) % 3);
			org.awaitility.Awaitility.await()
				.atMost(java.time.Duration.ofSeconds(10))
				.until(() -> etcd.leader() >= 0 && etcd.leader() != leader);
			etcd.restart(leader);
			assertThat(etcd.isRunning(leader)).isTrue();
			assertThat(health(etcd.clientEndpoint(leader))).contains("true");
		}
	}

	@Test
	void memberKilledAndRestartedAnswersHealthAgain() throws Exception {
		try (EtcdCluster etcd = EtcdCluster.start(3)) {
			etcd.kill(0);
			assertThat(etcd.isRunning(0)).isFalse();
			etcd.awaitHealthy(2);
			etcd.restart(0);
			assertThat(etcd.isRunning(0)).isTrue();
			assertThat(health(etcd.clientEndpoint(0))).contains("true");
		}
	}

	@Test
	void threeMemberClusterRegainsQuorumWhenTwoKilledMembersRestartTogether() throws Exception {
		try (EtcdCluster etcd = EtcdCluster.start(3)) {
			etcd.kill(0);
			etcd.kill(1);
			assertThat(health(etcd.clientEndpoint(2))).contains("false");
			etcd.restart(0, 1);
			assertThat(etcd.isRunning(0)).isTrue();
			assertThat(etcd.isRunning(1)).isTrue();
			etcd.awaitHealthy(2);
		}
	}

	@Test
	void pausedMemberKeepsItsProcessButStopsAnswering() throws Exception {
		try (EtcdCluster etcd = EtcdCluster.startSingle()) {
			etcd.pause(0);
			assertThat(etcd.isRunning(0)).isTrue();
			HttpRequest request = HttpRequest.newBuilder(URI.create(etcd.clientEndpoint(0) + "/health"))
				.timeout(java.time.Duration.ofMillis(300))
				.build();
			assertThatExceptionOfType(java.net.http.HttpTimeoutException.class)
				.isThrownBy(() -> this.http.send(request, HttpResponse.BodyHandlers.ofString()));
			etcd.resume(0);
			etcd.awaitHealthy(0);
		}
	}

	@Test
	void isolatedMemberLosesItsLeaderWhileTheOtherTwoKeepQuorumAndCatchesUpWhenHealed() throws Exception {
		try (EtcdCluster etcd = EtcdCluster.startPartitionable(3)) {
			int isolated = etcd.leader();
			int majority = (isolated + 1) % 3;
			assertThat(etcd.memberId(isolated)).matches("[0-9a-f]+").isNotEqualTo(etcd.memberId(majority));
			etcd.isolate(isolated);
			org.awaitility.Awaitility.await()
				.atMost(java.time.Duration.ofSeconds(20))
				.until(() -> health(etcd.clientEndpoint(isolated)).contains("false"));
			org.awaitility.Awaitility.await()
				.atMost(java.time.Duration.ofSeconds(20))
				.until(() -> health(etcd.clientEndpoint(majority)).contains("true"));
			assertThat(etcd.isRunning(isolated)).isTrue();
			// "a" and "b" in base64: written by the majority, not seen by the isolated member
			post(etcd.clientEndpoint(majority), "/v3/kv/put", "{\"key\":\"YQ==\",\"value\":\"Yg==\"}");
			String range = "{\"key\":\"YQ==\",\"serializable\":true}";
			assertThat(post(etcd.clientEndpoint(isolated), "/v3/kv/range", range)).doesNotContain("Yg==");

			etcd.healPartition();
			org.awaitility.Awaitility.await()
				.atMost(java.time.Duration.ofSeconds(20))
				.until(() -> post(etcd.clientEndpoint(isolated), "/v3/kv/range", range).contains("Yg=="));
			etcd.awaitHealthy(isolated);
		}
	}

	@Test
	void onlyAClusterStartedPartitionableCanIsolateAMember() {
		try (EtcdCluster etcd = EtcdCluster.start(3)) {
			org.assertj.core.api.Assertions.assertThatIllegalStateException()
				.isThrownBy(() -> etcd.isolate(0))
				.withMessageContaining("startPartitionable");
		}
		org.assertj.core.api.Assertions.assertThatIllegalArgumentException()
			.isThrownBy(() -> EtcdCluster.startPartitionable(1))
			.withMessageContaining("expected: >= 2");
	}

	@Test
	void waitingForAKilledMemberFailsAtOnceNamingItsLog() {
		try (EtcdCluster etcd = EtcdCluster.startSingle()) {
			etcd.kill(0);
			// "exited" comes only from the check of the process, not from waiting out the start timeout
			org.assertj.core.api.Assertions.assertThatIllegalStateException()
				.isThrownBy(() -> etcd.awaitHealthy(0))
				.withMessageContaining("exited; see")
				.withMessageEndingWith(".log");
		}
	}

	@Test
	void closeStopsEveryMember() {
		EtcdCluster etcd = EtcdCluster.startSingle();
		long pid = etcd.pid(0);
		etcd.close();
		assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
	}

	@Test
	void raftTimingsGivenAtStartSetEtcdsMinimumLeaseTtl() throws Exception {
		// etcd raises a TTL below ceil(1.5 election timeouts): 1 s with the fixture's 500 ms, 2 s with etcd's 1000 ms
		try (EtcdCluster tuned = EtcdCluster.startSingle();
				EtcdCluster defaults = EtcdCluster.start(1, java.time.Duration.ofMillis(100),
						java.time.Duration.ofMillis(1000))) {
			assertThat(grantedTtlSeconds(tuned.clientEndpoint(0), 1)).isEqualTo(1);
			assertThat(grantedTtlSeconds(defaults.clientEndpoint(0), 1)).isEqualTo(2);
		}
	}

	/** Grants a lease through etcd's JSON gateway and returns the TTL etcd granted. */
	private long grantedTtlSeconds(String endpoint, long ttl) throws Exception {
		HttpRequest request = HttpRequest.newBuilder(URI.create(endpoint + "/v3/lease/grant"))
			.POST(HttpRequest.BodyPublishers.ofString("{\"TTL\":" + ttl + "}"))
			.build();
		String body = this.http.send(request, HttpResponse.BodyHandlers.ofString()).body();
		java.util.regex.Matcher granted = java.util.regex.Pattern.compile("\"TTL\":\"?(\\d+)").matcher(body);
		assertThat(granted.find()).as(body).isTrue();
		return Long.parseLong(granted.group(1));
	}

	private String post(String endpoint, String path, String json) throws Exception {
		HttpRequest request = HttpRequest.newBuilder(URI.create(endpoint + path))
			.timeout(java.time.Duration.ofSeconds(5))
			.POST(HttpRequest.BodyPublishers.ofString(json))
			.build();
		return this.http.send(request, HttpResponse.BodyHandlers.ofString()).body();
	}

	private String health(String endpoint) throws Exception {
		HttpRequest request = HttpRequest.newBuilder(URI.create(endpoint + "/health")).build();
		return this.http.send(request, HttpResponse.BodyHandlers.ofString()).body();
	}

}
