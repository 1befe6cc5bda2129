package dev.grpcscale.autoconfigure.cluster;

import org.springframework.context.SmartLifecycle;

import dev.grpcscale.cluster.LeaderElection;

/**
 * Joins the {@link LeaderElection} when the application context starts, just before Boot's gRPC server
 * (whose phase is {@link Integer#MAX_VALUE}), and leaves it when the context stops. On close, leadership is
 * already resigned earlier, by grpc-scale's graceful shutdown at {@code ContextClosedEvent} (after
 * deregistration, before Boot drains calls); the election itself is closed when its bean is destroyed.
 */
public class LeaderElectionLifecycle implements SmartLifecycle {

	/** Starts before the gRPC server and stops after it. */
	public static final int PHASE = Integer.MAX_VALUE - 1000;

	private final LeaderElection election;

	private volatile boolean running;

	/**
	 * Creates the lifecycle.
	 * @param election the election to join and leave
	 */
	public LeaderElectionLifecycle(LeaderElection election) {
		this.election = election;
	}

	@Override
	public void start() {
		this.election.join();
		this.running = true;
	}

	@Override
	public void stop() {
		this.running = false;
		this.election.leave();
	}

	@Override
	public boolean isRunning() {
		return this.running;
	}

	@Override
	public int getPhase() {
		return PHASE;
	}

}
