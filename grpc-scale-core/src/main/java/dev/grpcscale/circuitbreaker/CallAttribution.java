package dev.grpcscale.circuitbreaker;

import io.grpc.CallOptions;

/**
 * Carried in a call's {@link CallOptions} from {@link CircuitBreakerClientInterceptor} to the
 * {@code grpc_scale_round_robin} load balancer: whether the call's last attempt failed on an instance
 * whose breaker counted it. The stream tracer writes it on a transport thread before the call's
 * {@code onClose} is delivered; {@code volatile} publishes it to the thread running {@code onClose}.
 */
final class CallAttribution {

	static final CallOptions.Key<CallAttribution> KEY = CallOptions.Key.create("dev.grpcscale.callAttribution");

	/** Set by the interceptor on calls of excluded methods: no breaker counts them. */
	static final CallOptions.Key<Boolean> NOT_COUNTED = CallOptions.Key.createWithDefault("dev.grpcscale.notCounted",
			Boolean.FALSE);

	private volatile boolean countedByInstance;

	void attemptClosed(boolean failureCountedByInstance) {
		this.countedByInstance = failureCountedByInstance;
	}

	boolean countedByInstance() {
		return this.countedByInstance;
	}

}
