package dev.grpcscale.cluster.consul;

/**
 * One session of a {@link ConsulLeaderElection}: the Consul session its leader and member keys are bound to.
 * {@link #end() Ended} when the election closes it, which stops a campaign still waiting on it.
 */
final class ConsulSession {

	private final String id;

	private volatile boolean ended;

	ConsulSession(String id) {
		this.id = id;
	}

	String id() {
		return this.id;
	}

	boolean isEnded() {
		return this.ended;
	}

	void end() {
		this.ended = true;
	}

	@Override
	public String toString() {
		return "ConsulSession[" + this.id + "]";
	}

}
