package dev.grpcscale.health;

import java.util.List;

import dev.grpcscale.discovery.ServiceInstance;

/**
 * {@link HealthCheckingServiceDiscovery#getInstances}'s last answer for one service: a list of the delegate's as
 * one {@link HealthView} filtered it. Computed again only when the delegate's list (a new list object) or the
 * view changed, so a read costs a lookup, not a pass over the instances.
 *
 * <p>Thread-safe: the answer is replaced, never changed, and readers racing on it at worst compute the same
 * list twice.
 */
final class FilteredInstances {

	private static final Answer NONE = new Answer(List.of(), HealthView.INITIAL, List.of());

	private volatile Answer last = NONE;

	/**
	 * The delegate's list as the view filters it.
	 * @param instances the delegate's current list
	 * @param view the current view
	 * @return the list of the last call when both are the same objects, else a newly filtered one
	 */
	List<ServiceInstance> passing(List<ServiceInstance> instances, HealthView view) {
		Answer answer = this.last;
		if (answer.source() == instances && answer.view() == view) {
			return answer.passing();
		}
		List<ServiceInstance> passing = view.filter(instances);
		this.last = new Answer(instances, view, passing);
		return passing;
	}

	private record Answer(List<ServiceInstance> source, HealthView view, List<ServiceInstance> passing) {
	}

}
