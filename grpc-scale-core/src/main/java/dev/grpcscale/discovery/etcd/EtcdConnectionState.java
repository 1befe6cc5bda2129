package dev.grpcscale.discovery.etcd;

import java.util.concurrent.atomic.AtomicReference;

import org.jspecify.annotations.Nullable;

/**
 * What the registry last saw of etcd: whether its last request, keep-alive or watch answered, and the
 * last failure. Written by any thread, read by {@code status()}.
 */
final class EtcdConnectionState {

	/** No observation yet, reachable, or unreachable with the failure seen. */
	private record Observation(boolean seen, boolean reachable, @Nullable String lastError) {
	}

	private final AtomicReference<Observation> observation = new AtomicReference<>(
			new Observation(false, false, null));

	void succeeded() {
		this.observation.updateAndGet((current) -> new Observation(true, true, current.lastError()));
	}

	void failed(Throwable failure) {
		Throwable cause = EtcdRequests.unwrap(failure);
		String text = cause.getClass().getSimpleName()
				+ ((cause.getMessage() != null) ? ": " + cause.getMessage() : "");
		this.observation.set(new Observation(true, false, text));
	}

	boolean seen() {
		return this.observation.get().seen();
	}

	boolean reachable() {
		return this.observation.get().reachable();
	}

	@Nullable String lastError() {
		return this.observation.get().lastError();
	}

}
