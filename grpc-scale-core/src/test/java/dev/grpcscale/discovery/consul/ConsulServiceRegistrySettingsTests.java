package dev.grpcscale.discovery.consul;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import org.junit.jupiter.api.Test;

import dev.grpcscale.discovery.DiscoveryException;
import dev.grpcscale.discovery.DiscoveryStatus;
import dev.grpcscale.test.consul.FakeConsulAgent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.awaitility.Awaitility.await;

/**
 * The settings of {@link ConsulServiceRegistry}: builder validation, the status it reports, and the ACL
 * token, sent as a header and never shown, against {@link FakeConsulAgent}
 * (see {@link ConsulRegistryFakeAgentFixture}).
 */
class ConsulServiceRegistrySettingsTests extends ConsulRegistryFakeAgentFixture {

	private static final String TOKEN = "b1gS3cret-acl-token-4f9e";

	@Test
	void builderRejectsBadSettingsNamingTheSettingAndWhatIsExpected() {
		assertThatIllegalArgumentException().isThrownBy(() -> ConsulServiceRegistry.builder().checkInterval(Duration.ZERO))
			.withMessage("checkInterval: PT0S (expected: > 0)");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> ConsulServiceRegistry.builder().deregisterCriticalAfter(Duration.ofSeconds(-1)))
			.withMessage("deregisterCriticalAfter: PT-1S (expected: > 0)");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> ConsulServiceRegistry.builder().blockingQueryWait(Duration.ofMinutes(11)))
			.withMessage("blockingQueryWait: PT11M (expected: > 0 and <= PT10M)");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> ConsulServiceRegistry.builder().retryBackoff(Duration.ofSeconds(2), Duration.ofSeconds(1)))
			.withMessage("retryBackoff.max: PT1S (expected: >= retryBackoff.initial PT2S)");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> ConsulServiceRegistry.builder().tags("grpc", " "))
			.withMessage("tags: [grpc,  ] (expected: non-blank tags)");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> ConsulServiceRegistry.builder()
				.checkType(ConsulCheckType.TTL)
				.checkInterval(Duration.ofMillis(2))
				.build())
			.withMessage("checkInterval: PT0.002S (expected: >= PT0.003S with TTL checks, which are passed every third of it)");
	}

	@Test
	void statusNamesTheAgentAndWhatIsRegisteredAndWatched() {
		try (ConsulServiceRegistry consul = consul().datacenter("dc2").build()) {
			await().atMost(Duration.ofSeconds(5)).until(() -> consul.status().reachable());
			consul.register(instance("svc", "i-1", "10.0.0.5", 9090, Map.of()));
			consul.getInstances("other");

			DiscoveryStatus status = consul.status();

			assertThat(status.provider()).isEqualTo("consul");
			assertThat(status.details()).containsEntry("agent", "http://127.0.0.1:" + this.agent.port() + "/")
				.containsEntry("datacenter", "dc2")
				.containsEntry("checkType", "GRPC")
				.containsEntry("registeredInstances", 1)
				.containsEntry("watchedServices", 1);
			assertThat(consul.toString()).isEqualTo("ConsulServiceRegistry[agent=http://127.0.0.1:" + this.agent.port()
					+ "/, datacenter=dc2, checkType=GRPC, aclToken=(none)]");
		}
	}

	@Test
	void tokenIsSentAsHeaderAndNeverShownInStatusToStringLogsOrErrors() {
		List<String> errors = new ArrayList<>();
		try (ConsulServiceRegistry consul = consul(connection().token(TOKEN)).checkType(ConsulCheckType.TTL)
			.checkInterval(Duration.ofMillis(300))
			.build()) {
			this.agent.setHealth("svc", 3, health(entry("i-1", "10.0.0.5", 9090, "10.9.9.9", Map.of())));
			consul.register(instance("svc", "i-1", "10.0.0.5", 9090, Map.of()));
			assertThat(consul.getInstances("svc")).hasSize(1);

			this.agent.failWith(500);
			await().atMost(Duration.ofSeconds(5)).until(() -> !consul.status().reachable());
			try {
				consul.register(instance("svc", "i-2", "10.0.0.6", 9090, Map.of()));
			}
			catch (DiscoveryException ex) {
				errors.add(ex.toString());
			}
			this.agent.stop();
			try {
				consul.deregister("svc", "i-1");
			}
			catch (DiscoveryException ex) {
				errors.add(ex.toString() + ex.getCause());
			}

			assertThat(this.agent.requests()).isNotEmpty()
				.allSatisfy((request) -> assertThat(request.header("X-Consul-Token")).containsExactly(TOKEN));
			assertThat(this.agent.requests()).noneMatch((request) -> request.path().contains(TOKEN)
					|| request.query().toString().contains(TOKEN) || request.body().contains(TOKEN));
			DiscoveryStatus status = consul.status();
			assertThat(status.toString()).doesNotContain(TOKEN);
			assertThat(consul.toString()).doesNotContain(TOKEN).contains("aclToken=(set)");
			assertThat(errors).hasSize(2).allSatisfy((error) -> assertThat(error).doesNotContain(TOKEN));
		}
		assertThat(this.events).isNotEmpty().allSatisfy((event) -> {
			assertThat(event.getFormattedMessage()).doesNotContain(TOKEN);
			if (event.getThrowableProxy() != null) {
				assertThat(ThrowableProxyUtil.asString(event.getThrowableProxy())).doesNotContain(TOKEN);
			}
		});
	}

}
