/**
 * A Kubernetes API for tests: {@link dev.grpcscale.test.kubernetes.KubernetesApiServer}, fabric8's mock API
 * server in CRUD mode on loopback, and {@link dev.grpcscale.test.kubernetes.EndpointSlices}, which writes
 * EndpointSlices as Kubernetes' controller does. Needs {@code io.fabric8:kubernetes-server-mock} on the test
 * classpath (an optional dependency of this module).
 */
@NullMarked
package dev.grpcscale.test.kubernetes;

import org.jspecify.annotations.NullMarked;
