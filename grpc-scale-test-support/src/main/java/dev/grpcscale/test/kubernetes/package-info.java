/**
 * A Kubernetes API for tests: {@link dev.grpcscale.test.kubernetes.KubernetesApiServer}, fabric8's mock API
 * server in CRUD mode on loopback, {@link dev.grpcscale.test.kubernetes.EndpointSlices}, which writes
 * EndpointSlices as Kubernetes' controller does, and {@link dev.grpcscale.test.kubernetes.K3sCluster}, a real
 * API server (k3s in a container) shared by a JVM's tests. Needs {@code io.fabric8:kubernetes-server-mock},
 * and for {@code K3sCluster} {@code org.testcontainers:testcontainers-k3s}, on the test classpath (optional
 * dependencies of this module).
 */
@NullMarked
package dev.grpcscale.test.kubernetes;

import org.jspecify.annotations.NullMarked;
