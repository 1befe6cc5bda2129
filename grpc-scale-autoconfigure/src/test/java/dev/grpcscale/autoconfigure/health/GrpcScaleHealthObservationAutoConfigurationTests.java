package dev.grpcscale.autoconfigure.health;

import io.micrometer.core.instrument.binder.grpc.GrpcClientObservationContext;
import io.micrometer.core.instrument.binder.grpc.GrpcServerObservationContext;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationPredicate;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

class GrpcScaleHealthObservationAutoConfigurationTests {

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(GrpcScaleHealthObservationAutoConfiguration.class));

	@Test
	void predicateKeepsHealthCallsOutOfObservationsOnBothSidesAndEveryOtherObservationIn() {
		this.runner.run((context) -> {
			ObservationPredicate predicate = context.getBean(HealthCallsObservationPredicate.class);
			assertThat(predicate.test("grpc.server", server("grpc.health.v1.Health"))).isFalse();
			assertThat(predicate.test("grpc.client", client("grpc.health.v1.Health"))).isFalse();
			assertThat(predicate.test("grpc.server", server("grpc.testing.SimpleService"))).isTrue();
			assertThat(predicate.test("grpc.client", client("grpc.testing.SimpleService"))).isTrue();
			assertThat(predicate.test("load-prices", new Observation.Context())).isTrue();
		});
	}

	@Test
	void userPredicateReplacesOurs() {
		HealthCallsObservationPredicate own = new HealthCallsObservationPredicate();
		this.runner.withBean(HealthCallsObservationPredicate.class, () -> own)
			.run((context) -> assertThat(context.getBean(HealthCallsObservationPredicate.class)).isSameAs(own));
	}

	@Test
	void withoutMicrometersGrpcObservationsThereIsNoPredicate() {
		this.runner.withClassLoader(new FilteredClassLoader(GrpcServerObservationContext.class))
			.run((context) -> assertThat(context).doesNotHaveBean(HealthCallsObservationPredicate.class));
	}

	private static GrpcServerObservationContext server(String service) {
		GrpcServerObservationContext context = new GrpcServerObservationContext((carrier, key) -> null);
		context.setServiceName(service);
		return context;
	}

	private static GrpcClientObservationContext client(String service) {
		GrpcClientObservationContext context = new GrpcClientObservationContext((carrier, key, value) -> {
		});
		context.setServiceName(service);
		return context;
	}

}
