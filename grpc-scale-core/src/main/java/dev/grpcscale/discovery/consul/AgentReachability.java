package dev.grpcscale.discovery.consul;

import java.net.URI;
import java.util.concurrent.atomic.AtomicReference;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the Consul agent answered the last request any part of the registry made. Logs once when the
 * agent becomes unreachable and once when it answers again, not on every failed request.
 */
final class AgentReachability {

	private static final Logger logger = LoggerFactory.getLogger(ConsulServiceRegistry.class);

	/** Unknown until the first request finishes. */
	private final AtomicReference<State> state = new AtomicReference<>(new State(false, null, false));

	private final URI agent;

	AgentReachability(URI agent) {
		this.agent = agent;
	}

	/** The agent answered (any status below 500). */
	void answered() {
		State previous = this.state.getAndSet(new State(true, null, true));
		if (previous.known() && !previous.reachable()) {
			logger.info("Consul agent at {} is reachable again", this.agent);
		}
	}

	/**
	 * A request failed without an answer, or with a server error.
	 * @param what what was attempted, for the log
	 * @param error a short description, never holding credentials
	 */
	void failed(String what, String error) {
		State previous = this.state.getAndSet(new State(false, error, true));
		if (previous.reachable() || !previous.known()) {
			logger.warn("Consul agent at {} is unreachable ({}: {}); serving the last known instances", this.agent,
					what, error);
		}
		else {
			logger.debug("Consul agent at {} still unreachable ({}: {})", this.agent, what, error);
		}
	}

	boolean isReachable() {
		return this.state.get().reachable();
	}

	@Nullable String lastError() {
		return this.state.get().lastError();
	}

	/** Describes an exception of the HTTP client for a log line or status detail. */
	static String describe(Exception ex) {
		String message = ex.getMessage();
		return ex.getClass().getSimpleName() + ((message != null && !message.isBlank()) ? ": " + message : "");
	}

	private record State(boolean reachable, @Nullable String lastError, boolean known) {
	}

}
