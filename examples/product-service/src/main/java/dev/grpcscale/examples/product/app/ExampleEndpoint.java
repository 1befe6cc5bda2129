package dev.grpcscale.examples.product.app;

import java.util.Map;

import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;

/**
 * The example's own Actuator endpoint, {@code /actuator/example}: what this instance is and does
 * ({@code GET}), and its {@link FaultSwitch} ({@code POST {"failing": true}}), so that the demo can drive
 * instances running as separate processes. An example's convenience: a real service would not let anyone
 * switch it into failing.
 */
@Endpoint(id = "example")
public class ExampleEndpoint {

	private final String instanceName;

	private final FaultSwitch faults;

	private final CatalogueRefresher refresher;

	/**
	 * Creates the endpoint.
	 * @param instanceName this instance's name ({@code example.instance-name})
	 * @param faults the switch that makes this instance fail
	 * @param refresher the leader-only job, for its counters
	 */
	public ExampleEndpoint(String instanceName, FaultSwitch faults, CatalogueRefresher refresher) {
		this.instanceName = instanceName;
		this.faults = faults;
		this.refresher = refresher;
	}

	/** This instance's name, whether it fails calls, and what its catalogue job did. */
	@ReadOperation
	public Map<String, Object> state() {
		return Map.of("instanceName", this.instanceName, "failing", this.faults.isFailing(), "catalogueRefreshes",
				this.refresher.refreshes(), "lastFencingToken", this.refresher.lastToken());
	}

	/**
	 * Turns failing on or off.
	 * @param failing whether calls fail with {@code UNAVAILABLE} from now on
	 */
	@WriteOperation
	public void failing(boolean failing) {
		this.faults.setFailing(failing);
	}

}
