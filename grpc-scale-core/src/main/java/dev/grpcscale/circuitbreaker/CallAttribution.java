package dev.grpcscale.circuitbreaker;

import io.grpc.CallOptions;

/**
 * Carried in a call's {@link CallOptions} from {@link CircuitBreakerClientInterceptor} to the
 * {@code grpc_scale_round_robin} load balancer: told whether the call's last attempt failed on an instance
 * whose breaker counted it. The stream tracer tells it on a transport thread before the call's
 * {@code onClose} is delivered; the implementation publishes it to the thread running {@code onClose}
 * (the interceptor's listener of the call is the attribution, one object per call rather than two).
 */
interface CallAttribution {

	CallOptions.Key<CallAttribution> KEY = CallOptions.Key.create("dev.grpcscale.callAttribution");

	/** Set by the interceptor on calls of excluded methods: no breaker counts them. */
	CallOptions.Key<Boolean> NOT_COUNTED = CallOptions.Key.createWithDefault("dev.grpcscale.notCounted",
			Boolean.FALSE);

	/**
	 * Tells how the call's last attempt ended on its instance.
	 * @param failureCountedByInstance whether the instance's breaker counted a failure
	 */
	void attemptClosed(boolean failureCountedByInstance);

}
