package dev.grpcscale.cluster.etcd;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.etcd.jetcd.Client;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.grpcscale.cluster.LeaderElectionSettings;
import dev.grpcscale.cluster.LeaderTask;
import dev.grpcscale.test.etcd.EtcdCluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@link EtcdFencedStore} on a real etcd: the transaction rejects a token below the highest written, and a
 * deposed leader's {@link LeaderTask}, writing late under the token of its own (old) leadership, is fenced
 * off while the new leader's writes go through.
 */
class EtcdFencedStoreTests {

	private static EtcdCluster etcd;

	private static Client client;

	@BeforeAll
	static void startEtcd() {
		etcd = EtcdCluster.startSingle();
		client = Client.builder().endpoints(etcd.clientEndpoints().toArray(String[]::new)).build();
	}

	@AfterAll
	static void stopEtcd() {
		if (client != null) {
			client.close();
		}
		if (etcd != null) {
			etcd.close();
		}
	}

	@Test
	void rejectsAWriteUnderATokenBelowTheHighestWrittenAndKeepsTheOthers() throws Exception {
		EtcdFencedStore store = new EtcdFencedStore(client.getKVClient(), "store1/");
		store.initialize().get(5, TimeUnit.SECONDS);
		store.initialize().get(5, TimeUnit.SECONDS);

		assertThat(get(store.write(5, "a")).accepted()).isTrue();
		assertThat(get(store.write(5, "b")).accepted()).isTrue();
		EtcdFencedStore.Result stale = get(store.write(3, "stale"));
		assertThat(stale.accepted()).isFalse();
		assertThat(stale.highestToken()).isEqualTo(5);
		assertThat(get(store.write(12, "c")).accepted()).isTrue();
		// 9 < 12 although "9" > "12" byte-wise: tokens are compared as numbers
		assertThat(get(store.write(9, "late")).accepted()).isFalse();

		assertThat(get(store.highestToken())).isEqualTo(12);
		assertThat(get(store.writes())).extracting(EtcdFencedStore.StoredWrite::id, EtcdFencedStore.StoredWrite::token)
			.containsExactly(org.assertj.core.groups.Tuple.tuple("a", 5L), org.assertj.core.groups.Tuple.tuple("b", 5L),
					org.assertj.core.groups.Tuple.tuple("c", 12L));
	}

	@Test
	void deposedLeadersLateWriteUnderItsOwnTokenIsRejectedAfterTheNewLeaderWrote() throws Exception {
		EtcdFencedStore store = new EtcdFencedStore(client.getKVClient(), "store2/");
		store.initialize().get(5, TimeUnit.SECONDS);
		EtcdLeaderElection first = election("n1");
		EtcdLeaderElection second = election("n2");
		CompletableFuture<Long> firstToken = new CompletableFuture<>();
		CompletableFuture<Long> secondToken = new CompletableFuture<>();
		try (first; second;
				LeaderTask firstTask = LeaderTask.start(first, "fenced-1", (token) -> writeOnce(store, "n1", token, firstToken));
				LeaderTask secondTask = LeaderTask.start(second, "fenced-2",
						(token) -> writeOnce(store, "n2", token, secondToken))) {
			first.join();
			long oldToken = firstToken.get(10, TimeUnit.SECONDS);
			second.join();
			first.leave();
			long newToken = secondToken.get(10, TimeUnit.SECONDS);
			assertThat(newToken).isGreaterThan(oldToken);
			await().atMost(Duration.ofSeconds(5)).until(() -> get(store.highestToken()) == newToken);

			// what the deposed leader's task would send after a pause: its own leadership's token
			EtcdFencedStore.Result late = get(store.write(oldToken, "late-n1"));

			assertThat(late.accepted()).isFalse();
			assertThat(late.highestToken()).isEqualTo(newToken);
			List<EtcdFencedStore.StoredWrite> writes = get(store.writes());
			assertThat(writes).extracting(EtcdFencedStore.StoredWrite::id).containsExactly("n1-" + oldToken,
					"n2-" + newToken);
		}
	}

	private static void writeOnce(EtcdFencedStore store, String node, long token, CompletableFuture<Long> written) {
		try {
			if (get(store.write(token, node + "-" + token)).accepted()) {
				written.complete(token);
			}
		}
		catch (Exception ex) {
			written.completeExceptionally(ex);
		}
	}

	private static EtcdLeaderElection election(String nodeId) {
		return EtcdLeaderElection.create(client, LeaderElectionSettings.builder()
			.nodeId(nodeId)
			.address("127.0.0.1:1")
			.namespace("fenced")
			.heartbeatInterval(Duration.ofMillis(300))
			.electionTimeout(Duration.ofSeconds(2))
			.build());
	}

	private static <T> T get(CompletableFuture<T> future) throws Exception {
		return future.get(5, TimeUnit.SECONDS);
	}

}
