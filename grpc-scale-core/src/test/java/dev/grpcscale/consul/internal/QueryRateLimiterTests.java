package dev.grpcscale.consul.internal;

import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class QueryRateLimiterTests {

	private static final long SECOND = 1_000_000_000L;

	private final AtomicLong now = new AtomicLong(42);

	private final QueryRateLimiter limiter = new QueryRateLimiter(SECOND, this.now::get);

	@Test
	void burstOfTwoGoesOutAtOnceThenOneQueryPerInterval() {
		assertThat(this.limiter.reserve()).isZero();
		assertThat(this.limiter.reserve()).isZero();
		assertThat(this.limiter.reserve()).isEqualTo(SECOND);
		// the caller waited the second out
		this.now.addAndGet(SECOND);
		assertThat(this.limiter.reserve()).isEqualTo(SECOND);
	}

	@Test
	void partlyRefilledBucketWaitsOnlyForTheRest() {
		this.limiter.reserve();
		this.limiter.reserve();
		this.now.addAndGet(SECOND / 4);
		assertThat(this.limiter.reserve()).isEqualTo(SECOND * 3 / 4);
	}

	@Test
	void quietPeriodsRefillTheBurstButNoMore() {
		this.limiter.reserve();
		this.limiter.reserve();
		this.now.addAndGet(10 * SECOND);
		assertThat(this.limiter.reserve()).isZero();
		assertThat(this.limiter.reserve()).isZero();
		assertThat(this.limiter.reserve()).isEqualTo(SECOND);
	}

}
