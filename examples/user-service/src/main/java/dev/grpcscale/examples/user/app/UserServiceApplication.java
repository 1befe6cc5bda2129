package dev.grpcscale.examples.user.app;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.micrometer.tracing.Tracer;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.annotation.Bean;
import org.springframework.grpc.client.ImportGrpcClients;

import dev.grpcscale.EnhancedServiceManager;
import dev.grpcscale.circuitbreaker.CircuitBreakerOpenException;
import dev.grpcscale.examples.product.GetProductRequest;
import dev.grpcscale.examples.product.ProductServiceGrpc;
import dev.grpcscale.examples.product.TraceIds;
import dev.grpcscale.examples.user.GetUserProfileRequest;
import dev.grpcscale.examples.user.UserProfile;
import dev.grpcscale.examples.user.UserServiceGrpc;

/**
 * user-service: answers with a user's favourite products, fetched from product-service through
 * {@code discovery:///product-service}. The stub comes from Boot's {@code @ImportGrpcClients}; grpc-scale
 * resolves the target from discovery, balances the calls across the instances, keeps a circuit breaker
 * per instance, and each fetch runs in {@code executeWithEnhancements} (a breaker and a span named
 * {@code get-product}). Configuration:
 * {@code user-service.yml}.
 */
@SpringBootApplication
@ImportGrpcClients(target = "discovery:///product-service", types = ProductServiceGrpc.ProductServiceBlockingStub.class)
public class UserServiceApplication {

	/** The name of this application's configuration file, {@code user-service.yml}. */
	public static final String CONFIG_NAME = "user-service";

	static final Map<String, List<String>> FAVORITES = Map.of("u-1", List.of("p-1", "p-2"), "u-2", List.of("p-3"));

	public static void main(String[] args) {
		new SpringApplicationBuilder(UserServiceApplication.class).properties("spring.config.name=" + CONFIG_NAME)
			.run(args);
	}

	@Bean
	UserServiceGrpc.UserServiceImplBase userService(ProductServiceGrpc.ProductServiceBlockingStub products,
			EnhancedServiceManager manager, ObjectProvider<Tracer> tracer) {
		return new UserServiceGrpc.UserServiceImplBase() {
			@Override
			public void getUserProfile(GetUserProfileRequest request, StreamObserver<UserProfile> responseObserver) {
				List<String> favorites = FAVORITES.get(request.getUserId());
				if (favorites == null) {
					responseObserver.onError(Status.NOT_FOUND
						.withDescription("No user '" + request.getUserId() + "'")
						.asRuntimeException());
					return;
				}
				UserProfile.Builder profile = UserProfile.newBuilder()
					.setUserId(request.getUserId())
					.setName("User " + request.getUserId())
					.setTraceId(TraceIds.current(tracer));
				try {
					for (String productId : favorites) {
						// inside the 'get-product' breaker and span; the channel adds its own breakers
						profile.addFavorites(manager.executeWithEnhancements(() -> products
							.withDeadlineAfter(Duration.ofSeconds(2))
							.getProduct(GetProductRequest.newBuilder().setId(productId).build()), "get-product"));
					}
				}
				catch (StatusRuntimeException ex) {
					responseObserver.onError(ex);
					return;
				}
				catch (CircuitBreakerOpenException ex) {
					responseObserver.onError(Status.UNAVAILABLE.withDescription(ex.getMessage()).asRuntimeException());
					return;
				}
				responseObserver.onNext(profile.build());
				responseObserver.onCompleted();
			}
		};
	}

}
