package dev.grpcscale.circuitbreaker;

/**
 * What a breaker of {@link GrpcCircuitBreakers} guards. The kind is fixed by the first use of a name: a
 * service and an operation given the same name share one breaker.
 */
public enum CircuitBreakerKind {

	/** The calls of a channel to one target service; named after the service. */
	SERVICE,

	/** The calls that went to one discovered instance; named {@code <service>/<instanceId>}. */
	INSTANCE,

	/** An operation run through {@code executeWithEnhancements}; named after the operation. */
	OPERATION

}
