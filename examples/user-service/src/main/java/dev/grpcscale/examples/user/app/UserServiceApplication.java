package dev.grpcscale.examples.user.app;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.annotation.Bean;
import org.springframework.grpc.client.ImportGrpcClients;

import dev.grpcscale.examples.product.GetProductRequest;
import dev.grpcscale.examples.product.ProductServiceGrpc;
import dev.grpcscale.examples.user.GetUserProfileRequest;
import dev.grpcscale.examples.user.UserProfile;
import dev.grpcscale.examples.user.UserServiceGrpc;

/**
 * user-service: answers with a user's favourite products, fetched from product-service through
 * {@code discovery:///product-service}. The stub comes from Boot's {@code @ImportGrpcClients}; grpc-scale
 * resolves the target from discovery and balances the calls across the instances. Configuration:
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
					profile.addFavorites(products.withDeadlineAfter(Duration.ofSeconds(2))
						.getProduct(GetProductRequest.newBuilder().setId(productId).build()));
				}
				responseObserver.onNext(profile.build());
				responseObserver.onCompleted();
			}
		};
	}

}
