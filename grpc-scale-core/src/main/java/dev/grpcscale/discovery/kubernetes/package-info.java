/**
 * The Kubernetes discovery backend: {@link dev.grpcscale.discovery.kubernetes.KubernetesServiceDiscovery}
 * serves the ready endpoints of a Service's EndpointSlices, followed through one informer per service read.
 * Registration is Kubernetes' own (the pod's readiness). Needs {@code io.fabric8:kubernetes-client} and an
 * HTTP client implementation such as {@code io.fabric8:kubernetes-httpclient-jdk} on the classpath (optional
 * dependencies of grpc-scale-core).
 */
@NullMarked
package dev.grpcscale.discovery.kubernetes;

import org.jspecify.annotations.NullMarked;
