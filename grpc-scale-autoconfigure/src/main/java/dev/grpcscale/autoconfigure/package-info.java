/**
 * Spring Boot auto-configuration of grpc-scale: {@link dev.grpcscale.autoconfigure.GrpcScaleProperties},
 * the {@link dev.grpcscale.EnhancedServiceManager} bean and the registration and shutdown lifecycle.
 */
@NullMarked
package dev.grpcscale.autoconfigure;

import org.jspecify.annotations.NullMarked;
