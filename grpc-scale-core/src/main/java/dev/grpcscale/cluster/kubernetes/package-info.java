/**
 * Leader election and cluster membership on a Kubernetes {@code coordination.k8s.io/v1} Lease:
 * {@link dev.grpcscale.cluster.kubernetes.KubernetesLeaderElection}. Needs {@code io.fabric8:kubernetes-client}
 * (with an HTTP client implementation, for example {@code io.fabric8:kubernetes-httpclient-jdk}) on the class
 * path; {@link dev.grpcscale.cluster.kubernetes.LeaseNames} alone needs nothing.
 */
@NullMarked
package dev.grpcscale.cluster.kubernetes;

import org.jspecify.annotations.NullMarked;
