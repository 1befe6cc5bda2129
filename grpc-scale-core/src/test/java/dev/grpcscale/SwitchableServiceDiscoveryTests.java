package dev.grpcscale;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

import dev.grpcscale.discovery.InMemoryServiceRegistry;
import dev.grpcscale.discovery.ServiceDefinition;
import dev.grpcscale.discovery.ServiceDiscovery;
import dev.grpcscale.discovery.ServiceInstance;

import static org.assertj.core.api.Assertions.assertThat;

class SwitchableServiceDiscoveryTests {

	@Test
	void watchesMoveToTheNewSourceAndIgnoreTheOldOne() {
		try (InMemoryServiceRegistry a = InMemoryServiceRegistry.create();
				InMemoryServiceRegistry b = InMemoryServiceRegistry.create()) {
			a.register(instance("a1"));
			b.register(instance("b1"));
			b.register(instance("b2"));
			AtomicReference<ServiceDiscovery> current = new AtomicReference<>(a);
			SwitchableServiceDiscovery switchable = new SwitchableServiceDiscovery(current::get);
			List<List<String>> seen = new ArrayList<>();
			Subscription subscription = switchable.watch("svc",
					(list) -> seen.add(list.stream().map(ServiceInstance::instanceId).toList()));

			current.set(b);
			switchable.switched();
			a.register(instance("a2"));
			assertThat(switchable.getInstances("svc")).hasSize(2);

			current.set(a);
			switchable.switched();
			subscription.cancel();
			a.register(instance("a3"));

			assertThat(seen).containsExactly(List.of("a1"), List.of("b1", "b2"), List.of("a1", "a2"));
		}
	}

	private static ServiceInstance instance(String id) {
		return ServiceDefinition.builder("svc").instanceId(id).port(1000 + id.hashCode() % 1000).build()
			.toInstance(Instant.EPOCH);
	}

}
