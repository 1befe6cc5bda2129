package dev.grpcscale.test.consul;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.ObjectMapper;

import dev.grpcscale.test.consul.FakeConsulAgent.KvEntry;

import static org.assertj.core.api.Assertions.assertThat;

class KeyValueStoreTests {

	private static final Map<String, String> PLAIN = Map.of();

	private final BlockingQueries queries = new BlockingQueries();

	private final KeyValueStore kv = new KeyValueStore(new ObjectMapper(), this.queries);

	private final Set<String> live = Set.of("s1", "s2");

	@Test
	void lockIndexCountsAcquisitionsByANewSessionNotReacquisitionsByTheHolder() {
		assertThat(acquire("leader", "s1")).isTrue();
		assertThat(this.kv.entry("leader").lockIndex()).isEqualTo(1);
		assertThat(acquire("leader", "s1")).isTrue();
		assertThat(this.kv.entry("leader").lockIndex()).isEqualTo(1);
		assertThat(acquire("leader", "s2")).as("held by s1").isFalse();
		assertThat(release("leader", "s1")).isTrue();
		assertThat(acquire("leader", "s2")).isTrue();
		assertThat(this.kv.entry("leader")).extracting(KvEntry::session, KvEntry::lockIndex).containsExactly("s2", 2L);
	}

	@Test
	void deletedKeyRestartsItsLockIndexAtOne() {
		acquire("leader", "s1");
		release("leader", "s1");
		acquire("leader", "s2");
		this.kv.delete("leader");
		assertThat(this.kv.entry("leader")).isNull();
		acquire("leader", "s1");
		assertThat(this.kv.entry("leader").lockIndex()).isEqualTo(1);
	}

	@Test
	void onlyTheHolderReleasesAndADeadSessionAcquiresNothing() {
		acquire("leader", "s1");
		assertThat(release("leader", "s2")).isFalse();
		assertThat(release("absent", "s1")).isFalse();
		assertThat(acquire("other", "gone")).isFalse();
		assertThat(this.kv.entry("other")).isNull();
	}

	@Test
	void everyWriteTakesTheNextGlobalIndexAndAPlainWriteKeepsTheHolder() {
		assertThat(this.kv.put("a", "1", PLAIN, this.live::contains)).isTrue();
		KvEntry a = this.kv.entry("a");
		assertThat(a.createIndex()).isEqualTo(a.modifyIndex()).isEqualTo(101);
		acquire("b", "s1");
		this.kv.put("b", "new", PLAIN, this.live::contains);
		assertThat(this.kv.entry("b")).extracting(KvEntry::value, KvEntry::session, KvEntry::createIndex,
				KvEntry::modifyIndex)
			.containsExactly("new", "s1", 102L, 103L);
	}

	@Test
	void invalidatedSessionReleasesOrDeletesItsKeysAndTheyStayLockedForItsLockDelay() {
		acquire("released", "s1");
		acquire("deleted", "s2");
		synchronized (this.queries.monitor()) {
			this.kv.invalidated("s1", false, Duration.ofMinutes(1));
			this.kv.invalidated("s2", true, Duration.ZERO);
		}
		assertThat(this.kv.entry("released").session()).isEmpty();
		assertThat(this.kv.entry("deleted")).isNull();
		assertThat(acquire("released", "s2")).as("lock delay of s1").isFalse();
		assertThat(acquire("deleted", "s1")).as("no lock delay").isTrue();
	}

	@Test
	void explicitReleaseLeavesNoLockDelay() {
		acquire("leader", "s1");
		release("leader", "s1");
		assertThat(acquire("leader", "s2")).isTrue();
	}

	@Test
	void readOfAMissingKeyIsNotFoundWithTheIndexAndRecurseReadsThePrefix() {
		assertThat(this.kv.get("a", PLAIN)).isEqualTo(new Reply(404, "", 100L));
		this.kv.put("dir/a", "1", PLAIN, this.live::contains);
		this.kv.put("dir/b", "2", PLAIN, this.live::contains);
		this.kv.put("other", "3", PLAIN, this.live::contains);
		Reply reply = this.kv.get("dir/", Map.of("recurse", ""));
		assertThat(reply.index()).isEqualTo(103);
		assertThat(reply.body()).contains("\"Key\":\"dir/a\"", "\"Key\":\"dir/b\"").doesNotContain("other");
	}

	@Test
	void blockingReadReturnsWhenTheStoreChanges() throws Exception {
		CompletableFuture<Reply> read = BlockedQuery
			.start(() -> this.kv.get("leader", Map.of("index", "100", "wait", "1m")));
		assertThat(read).isNotDone();
		this.kv.put("leader", "x", PLAIN, this.live::contains);
		Reply reply = read.get(30, TimeUnit.SECONDS);
		assertThat(reply.status()).isEqualTo(200);
		assertThat(reply.index()).isEqualTo(101);
	}

	private boolean acquire(String key, String session) {
		return this.kv.put(key, "v", Map.of("acquire", session), this.live::contains);
	}

	private boolean release(String key, String session) {
		return this.kv.put(key, "v", Map.of("release", session), this.live::contains);
	}

}
