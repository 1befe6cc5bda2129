package dev.grpcscale.cluster;

import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

class LeaderSampleTests {

	private static final long SECOND = Duration.ofSeconds(1).toNanos();

	@Test
	void findsTheOneNodeThatLeads() {
		long now = System.nanoTime();
		LeaderElection b = node("b", () -> Optional.of(new Leadership(7, now - SECOND, now + SECOND)));
		Optional<LeaderSample.Held<LeaderElection>> held = LeaderSample
			.leaderAmong(List.of(node("a", Optional::empty), b, node("c", Optional::empty)));
		assertThat(held).hasValueSatisfying((leader) -> {
			assertThat(leader.election()).isSameAs(b);
			assertThat(leader.fencingToken()).isEqualTo(7);
		});
	}

	@Test
	void twoLeadershipsHeldAtTheSameMomentFailTheSample() {
		long now = System.nanoTime();
		List<LeaderElection> nodes = List.of(node("a", () -> Optional.of(new Leadership(1, now - 2 * SECOND, now + SECOND))),
				node("b", () -> Optional.of(new Leadership(2, now - SECOND, now + SECOND))));
		assertThatExceptionOfType(AssertionError.class).isThrownBy(() -> LeaderSample.leaderAmong(nodes))
			.withMessageStartingWith("two leaders at once: a#1");
	}

	@Test
	void aHandOverBetweenTwoReadsShowsNoLeaderRatherThanTwo() {
		long now = System.nanoTime();
		// a was seen valid when read; b was granted only after a's read began (a stall of the reader between
		// the two reads): nothing proves they led at the same moment
		List<LeaderElection> nodes = List.of(node("a", () -> Optional.of(new Leadership(1, now - SECOND, now + SECOND))),
				node("b", () -> {
					long grantedAt = System.nanoTime();
					return Optional.of(new Leadership(2, grantedAt, grantedAt + SECOND));
				}));
		assertThat(LeaderSample.leaderAmong(nodes)).isEmpty();
	}

	@Test
	void noLeaderIsEmpty() {
		assertThat(LeaderSample.leaderAmong(List.of(node("a", Optional::empty)))).isEmpty();
	}

	private static LeaderElection node(String id, Supplier<Optional<Leadership>> leadership) {
		LeaderElectionSettings settings = LeaderElectionSettings.builder().nodeId(id).build();
		return (LeaderElection) Proxy.newProxyInstance(LeaderSampleTests.class.getClassLoader(),
				new Class<?>[] { LeaderElection.class }, (proxy, method, args) -> switch (method.getName()) {
					case "leadership" -> leadership.get();
					case "settings" -> settings;
					case "toString" -> id;
					default -> throw new UnsupportedOperationException(method.getName());
				});
	}

}
