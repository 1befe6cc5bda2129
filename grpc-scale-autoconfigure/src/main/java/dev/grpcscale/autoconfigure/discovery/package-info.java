/**
 * Auto-configuration of service discovery: the discovery backend chosen by
 * {@code grpc.scale.service-discovery.provider} and the {@code discovery:///} name resolver for Boot's
 * gRPC channels.
 */
@NullMarked
package dev.grpcscale.autoconfigure.discovery;

import org.jspecify.annotations.NullMarked;
