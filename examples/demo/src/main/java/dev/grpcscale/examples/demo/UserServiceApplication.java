package dev.grpcscale.examples.demo;

import java.util.List;
import java.util.Map;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.grpc.client.ImportGrpcClients;

import dev.grpcscale.examples.product.GetProductRequest;
import dev.grpcscale.examples.product.ProductServiceGrpc;
import dev.grpcscale.examples.user.GetUserProfileRequest;
import dev.grpcscale.examples.user.UserProfile;
import dev.grpcscale.examples.user.UserServiceGrpc;

/**
 * user-service: answers with a user's favourite products, fetched from product-service through
 * {@code discovery:///product-service}. The stub comes from Boot's {@code @ImportGrpcClients}; grpc-scale
 * resolves the target from discovery and balances the calls across the instances.
 */
@Configuration(proxyBeanMethods = false)
@EnableAutoConfiguration
@ImportGrpcClients(target = "discovery:///product-service", types = ProductServiceGrpc.ProductServiceBlockingStub.class)
public class UserServiceApplication {

	static final Map<String, List<String>> FAVORITES = Map.of("u-1", List.of("p-1", "p-2"), "u-2", List.of("p-3"));

	@Bean
	UserServiceGrpc.UserServiceImplBase userService(ProductServiceGrpc.ProductServiceBlockingStub products) {
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
					.setName("User " + request.getUserId());
				for (String productId : favorites) {
					profile.addFavorites(products.withDeadlineAfter(java.time.Duration.ofSeconds(2))
						.getProduct(GetProductRequest.newBuilder().setId(productId).build()));
				}
				responseObserver.onNext(profile.build());
				responseObserver.onCompleted();
			}
		};
	}

}
