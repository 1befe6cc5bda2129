package dev.grpcscale.cluster;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class LeaderElectionSettingsTests {

	@Test
	void defaultsAreARandomNodeIdFiveSecondHeartbeatsAndFifteenSecondElectionTimeout() {
		LeaderElectionSettings settings = LeaderElectionSettings.builder().build();
		assertThat(settings.nodeId()).isNotBlank();
		assertThat(LeaderElectionSettings.builder().build().nodeId()).isNotEqualTo(settings.nodeId());
		assertThat(settings.address()).isEmpty();
		assertThat(settings.nodes()).isEmpty();
		assertThat(settings.leaderElection()).isTrue();
		assertThat(settings.heartbeatInterval()).isEqualTo(Duration.ofSeconds(5));
		assertThat(settings.electionTimeout()).isEqualTo(Duration.ofSeconds(15));
		assertThat(settings.safetyMargin()).isEqualTo(Duration.ofMillis(1500));
		assertThat(settings.leaseValidity()).isEqualTo(Duration.ofMillis(13500));
		assertThat(settings.namespace()).isEqualTo("grpc-scale");
		assertThat(settings.electionName()).isEqualTo("default");
		assertThat(settings.scheduler()).isNull();
	}

	@Test
	void addressSupplierIsReadOnEveryCall() {
		AtomicReference<String> bound = new AtomicReference<>("");
		LeaderElectionSettings settings = LeaderElectionSettings.builder().address(bound::get).build();
		assertThat(settings.address()).isEmpty();
		bound.set("10.0.0.7:9090");
		assertThat(settings.address()).isEqualTo("10.0.0.7:9090");
		assertThat(settings.toString()).contains("address=10.0.0.7:9090");
	}

	@Test
	void defaultSafetyMarginLeavesRoomForARenewalWhenHeartbeatIsCloseToTheTimeout() {
		LeaderElectionSettings settings = LeaderElectionSettings.builder()
			.heartbeatInterval(Duration.ofSeconds(14))
			.electionTimeout(Duration.ofSeconds(15))
			.build();
		assertThat(settings.safetyMargin()).isEqualTo(Duration.ofMillis(500));
	}

	@Test
	void heartbeatIntervalMustBeShorterThanElectionTimeout() {
		assertThatIllegalArgumentException()
			.isThrownBy(() -> LeaderElectionSettings.builder().heartbeatInterval(Duration.ofSeconds(15)).build())
			.withMessage("heartbeatInterval: PT15S (expected: < electionTimeout PT15S)");
	}

	@Test
	void settersRejectBadValuesAtOnce() {
		assertThatIllegalArgumentException()
			.isThrownBy(() -> LeaderElectionSettings.builder().heartbeatInterval(Duration.ZERO))
			.withMessage("heartbeatInterval: PT0S (expected: > 0)");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> LeaderElectionSettings.builder().electionTimeout(Duration.ofSeconds(-1)))
			.withMessage("electionTimeout: PT-1S (expected: > 0)");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> LeaderElectionSettings.builder().safetyMargin(Duration.ofMillis(-1)))
			.withMessage("safetyMargin: PT-0.001S (expected: >= 0)");
		assertThatIllegalArgumentException().isThrownBy(() -> LeaderElectionSettings.builder().nodeId("a/b"))
			.withMessage("nodeId: 'a/b' (expected: letters, digits, '.', '_' or '-', not empty)");
		assertThatIllegalArgumentException().isThrownBy(() -> LeaderElectionSettings.builder().nodes(List.of("ok", "")))
			.withMessageStartingWith("nodes[]: ''");
		assertThatIllegalArgumentException().isThrownBy(() -> LeaderElectionSettings.builder().electionName("a b"))
			.withMessageStartingWith("electionName: 'a b'");
	}

	@Test
	void safetyMarginMustLeaveTheLeaseLongerThanAHeartbeat() {
		assertThatIllegalArgumentException()
			.isThrownBy(() -> LeaderElectionSettings.builder()
				.heartbeatInterval(Duration.ofSeconds(5))
				.electionTimeout(Duration.ofSeconds(15))
				.safetyMargin(Duration.ofSeconds(10))
				.build())
			.withMessage("safetyMargin: PT10S (expected: < electionTimeout - heartbeatInterval PT10S)");
	}

}
