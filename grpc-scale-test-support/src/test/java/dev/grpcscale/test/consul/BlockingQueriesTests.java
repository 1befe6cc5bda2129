package dev.grpcscale.test.consul;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class BlockingQueriesTests {

	private final BlockingQueries queries = new BlockingQueries();

	private final AtomicLong index = new AtomicLong(5);

	@Test
	void queryWithoutIndexOrWithAnOlderOneAnswersAtOnce() {
		assertThat(await(0, Duration.ofMinutes(5))).isTrue();
		assertThat(await(4, Duration.ofMinutes(5))).isTrue();
	}

	@Test
	void queryAtTheCurrentIndexAnswersWhenItsWaitIsOver() {
		assertThat(await(5, Duration.ofMillis(50))).isTrue();
		assertThat(this.index).hasValue(5);
	}

	@Test
	void blockedQueryWakesWhenTheIndexMovesOn() throws Exception {
		CompletableFuture<Boolean> waiting = BlockedQuery.start(() -> await(5, Duration.ofMinutes(5)));
		assertThat(waiting).isNotDone();
		synchronized (this.queries.monitor()) {
			this.index.set(this.queries.advance());
			this.queries.changed();
		}
		assertThat(waiting.get(30, TimeUnit.SECONDS)).isTrue();
		assertThat(this.index).hasValue(101);
	}

	@Test
	void failureEndsBlockedQueriesAndAnswersEverything() throws Exception {
		CompletableFuture<Reply> waiting = blockedQuery();
		this.queries.failWith(503);
		assertThat(waiting.get(30, TimeUnit.SECONDS)).isEqualTo(Reply.of(503, "rpc error: No cluster leader"));
		assertThat(this.queries.failure()).isEqualTo(Reply.of(503, "rpc error: No cluster leader"));
		this.queries.failWith(0);
		assertThat(this.queries.failure()).isNull();
		assertThat(this.queries.afterWait(Reply.ok("[]"))).isEqualTo(Reply.ok("[]"));
	}

	@Test
	void stopEndsBlockedQueriesUnansweredUntilRestart() throws Exception {
		CompletableFuture<Reply> waiting = blockedQuery();
		assertThat(this.queries.stop()).isTrue();
		assertThat(waiting.get(30, TimeUnit.SECONDS)).isNull();
		assertThat(this.queries.stop()).as("stopped already").isFalse();
		this.queries.restart();
		assertThat(this.queries.afterWait(Reply.ok("[]"))).isEqualTo(Reply.ok("[]"));
	}

	@Test
	void indexAndWaitComeFromTheQueryWithConsulsDefaults() {
		assertThat(BlockingQueries.requestedIndex(Map.of())).isZero();
		assertThat(BlockingQueries.requestedIndex(Map.of("index", "42"))).isEqualTo(42);
		assertThat(BlockingQueries.requestedWait(Map.of())).isEqualTo(Duration.ofMinutes(5));
		assertThat(BlockingQueries.requestedWait(Map.of("wait", "250ms"))).isEqualTo(Duration.ofMillis(250));
	}

	/** A query blocked at the current index, answering {@code []} once its wait is over. */
	private CompletableFuture<Reply> blockedQuery() {
		CompletableFuture<Reply> waiting = BlockedQuery.start(() -> {
			await(5, Duration.ofMinutes(5));
			return this.queries.afterWait(Reply.ok("[]"));
		});
		assertThat(waiting).isNotDone();
		return waiting;
	}

	private boolean await(long requested, Duration wait) {
		synchronized (this.queries.monitor()) {
			return this.queries.awaitAbove(requested, wait, this.index::get);
		}
	}

}
