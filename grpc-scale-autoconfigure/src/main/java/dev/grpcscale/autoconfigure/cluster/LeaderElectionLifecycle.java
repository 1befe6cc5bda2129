package dev.grpcscale.autoconfigure.cluster;

import org.springframework.context.SmartLifecycle;

import dev.grpcscale.cluster.LeaderElection;

/**
 * Joins the {@link LeaderElection} when the application context starts, just before Boot's gRPC server
 * (whose phase is {@link Integer#MAX_VALUE}), and leaves it when the context stops. On close, leadership is
 * already resigned earlier, by grpc-scale's graceful shutdown at {@code ContextClosedEvent} (after
 * deregistration, before Boot drains calls); the election itself is closed when its bean is destroyed.
 *
 * <p>A node that announces the address of its gRPC server, which is known only once that server has bound
 * its port, puts off joining ({@code awaitGrpcServer}) until {@link #joinIfAwaiting()} is called: when the
 * server has started on a network port, or, should it never do so, once the context has started.
 */
public class LeaderElectionLifecycle implements SmartLifecycle {

	/** Starts before the gRPC server and stops after it. */
	public static final int PHASE = Integer.MAX_VALUE - 1000;

	private final LeaderElection election;

	private final boolean awaitGrpcServer;

	private volatile boolean running;

	/**
	 * Creates a lifecycle that joins at start.
	 * @param election the election to join and leave
	 */
	public LeaderElectionLifecycle(LeaderElection election) {
		this(election, false);
	}

	/**
	 * Creates the lifecycle.
	 * @param election the election to join and leave
	 * @param awaitGrpcServer whether to join only on {@link #joinIfAwaiting()} instead of at start
	 */
	public LeaderElectionLifecycle(LeaderElection election, boolean awaitGrpcServer) {
		this.election = election;
		this.awaitGrpcServer = awaitGrpcServer;
	}

	@Override
	public void start() {
		this.running = true;
		if (!this.awaitGrpcServer) {
			this.election.join();
		}
	}

	/**
	 * Joins now if this lifecycle is running and puts off joining until the gRPC server has started;
	 * otherwise does nothing. Joining an election already joined does nothing either.
	 */
	public void joinIfAwaiting() {
		if (this.awaitGrpcServer && this.running) {
			this.election.join();
		}
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
