package dev.grpcscale.health;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

import dev.grpcscale.discovery.InstanceStatus;
import dev.grpcscale.discovery.ServiceInstance;

import static org.assertj.core.api.Assertions.assertThat;

/** The filtered view of one service and getInstances' cached answer, without probes. */
class HealthViewTests {

	/** Panic mode on, at the default threshold: panic only when no instance passes. */
	private static final HealthCheckOptions OPTIONS = HealthCheckOptions.defaults();

	private final ServiceInstance a = instance("a", "10.0.0.1");

	private final ServiceInstance b = instance("b", "10.0.0.2");

	private final ServiceInstance c = instance("c", "10.0.0.3");

	@Test
	void nextViewLetsThroughTheInstancesNotMarkedDownAndCountsVersions() {
		HealthView first = HealthView.INITIAL.next("svc", List.of(this.a, this.b, this.c), Set.of(), OPTIONS);
		HealthView second = first.next("svc", List.of(this.a, this.b, this.c), Set.of(HealthView.key(this.b)),
				OPTIONS);

		assertThat(first.version()).isEqualTo(1);
		assertThat(first.up()).containsExactly(this.a, this.b, this.c);
		assertThat(second.version()).isEqualTo(2);
		assertThat(second.up()).containsExactly(this.a, this.c);
		assertThat(second.panic()).isFalse();
		assertThat(second.filter(List.of(this.a, this.b))).containsExactly(this.a);
	}

	@Test
	void whenNoInstancePassesTheViewIsInPanicAndLetsEveryInstanceThroughUntilOnePasses() {
		List<ServiceInstance> discovered = List.of(this.a, this.b);
		HealthView panic = HealthView.INITIAL.next("svc", discovered,
				Set.of(HealthView.key(this.a), HealthView.key(this.b)), OPTIONS);
		HealthView recovered = panic.next("svc", discovered, Set.of(HealthView.key(this.a)), OPTIONS);

		assertThat(panic.panic()).isTrue();
		assertThat(panic.up()).isSameAs(discovered);
		assertThat(panic.filter(discovered)).isSameAs(discovered);
		assertThat(recovered.panic()).isFalse();
		assertThat(recovered.up()).containsExactly(this.b);
	}

	@Test
	void withPanicModeOffNoInstancePassingLeavesNone() {
		HealthCheckOptions strict = HealthCheckOptions.builder().panicMode(false).build();
		HealthView view = HealthView.INITIAL.next("svc", List.of(this.a), Set.of(HealthView.key(this.a)), strict);

		assertThat(view.panic()).isFalse();
		assertThat(view.up()).isEmpty();
	}

	@Test
	void instanceReRegisteredAtAnotherAddressIsNotHiddenByItsOldSelf() {
		ServiceInstance moved = instance("a", "10.0.0.9");
		HealthView view = HealthView.INITIAL.next("svc", List.of(this.a, this.b), Set.of(HealthView.key(this.a)),
				OPTIONS);

		assertThat(view.filter(List.of(moved, this.b))).containsExactly(moved, this.b);
		assertThat(view.markDown(List.of(moved, this.b))).extracting(ServiceInstance::status)
			.containsOnly(InstanceStatus.UP);
	}

	@Test
	void markDownReportsTheHiddenInstancesDownAndKeepsTheListWhenNoneIs() {
		List<ServiceInstance> all = List.of(this.a, this.b);
		HealthView view = HealthView.INITIAL.next("svc", all, Set.of(HealthView.key(this.b)), OPTIONS);

		assertThat(view.markDown(all)).extracting(ServiceInstance::instanceId, ServiceInstance::status)
			.containsExactly(org.assertj.core.groups.Tuple.tuple("a", InstanceStatus.UP),
					org.assertj.core.groups.Tuple.tuple("b", InstanceStatus.DOWN));
		assertThat(HealthView.INITIAL.markDown(all)).isSameAs(all);
	}

	@Test
	void filteredAnswerIsComputedOncePerDelegateListAndView() {
		FilteredInstances filtered = new FilteredInstances();
		List<ServiceInstance> listed = List.of(this.a, this.b, this.c);
		HealthView view = HealthView.INITIAL.next("svc", listed, Set.of(HealthView.key(this.c)), OPTIONS);

		List<ServiceInstance> first = filtered.passing(listed, view);
		assertThat(first).containsExactly(this.a, this.b);
		assertThat(filtered.passing(listed, view)).isSameAs(first);

		List<ServiceInstance> relisted = List.of(this.a, this.b, this.c);
		List<ServiceInstance> afterRelist = filtered.passing(relisted, view);
		assertThat(afterRelist).isNotSameAs(first).containsExactly(this.a, this.b);

		HealthView healed = view.next("svc", relisted, Set.of(), OPTIONS);
		assertThat(filtered.passing(relisted, healed)).isSameAs(relisted);
	}

	private static ServiceInstance instance(String id, String host) {
		return new ServiceInstance("svc", id, host, 9090, Map.of(), InstanceStatus.UP, Instant.EPOCH);
	}

}
