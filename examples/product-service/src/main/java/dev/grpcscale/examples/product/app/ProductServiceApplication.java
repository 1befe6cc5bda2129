package dev.grpcscale.examples.product.app;

import java.time.Duration;
import java.util.Map;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.micrometer.tracing.Tracer;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.annotation.Bean;

import dev.grpcscale.cluster.LeaderElection;
import dev.grpcscale.cluster.LeaderTask;
import dev.grpcscale.examples.product.GetProductRequest;
import dev.grpcscale.examples.product.Product;
import dev.grpcscale.examples.product.ProductServiceGrpc;
import dev.grpcscale.examples.product.TraceIds;

/**
 * product-service: a small catalogue. Each instance says who it is in {@code served_by}. It has no
 * grpc-scale code: the starter registers it under {@code spring.application.name} once its gRPC server
 * has started, and takes it out of discovery before it drains at shutdown. The instances form a cluster
 * (named after the application) and only its leader runs the {@link CatalogueRefresher}. Configuration:
 * {@code product-service.yml}.
 */
@SpringBootApplication
public class ProductServiceApplication {

	/** The name of this application's configuration file, {@code product-service.yml}. */
	public static final String CONFIG_NAME = "product-service";

	static final Map<String, Product> CATALOGUE = Map.of("p-1",
			Product.newBuilder().setId("p-1").setName("Espresso machine").setPriceCents(24900).build(), "p-2",
			Product.newBuilder().setId("p-2").setName("Coffee grinder").setPriceCents(8900).build(), "p-3",
			Product.newBuilder().setId("p-3").setName("Milk jug").setPriceCents(1500).build());

	public static void main(String[] args) {
		new SpringApplicationBuilder(ProductServiceApplication.class).properties("spring.config.name=" + CONFIG_NAME)
			.run(args);
	}

	@Bean
	CatalogueRefresher catalogueRefresher() {
		return new CatalogueRefresher(Duration.ofMillis(200));
	}

	/** Only the elected leader among the product-service instances refreshes the catalogue. */
	@Bean(destroyMethod = "close")
	LeaderTask catalogueRefresh(LeaderElection election, CatalogueRefresher refresher) {
		return LeaderTask.start(election, "catalogue-refresh", refresher::run);
	}

	@Bean
	FaultSwitch faultSwitch() {
		return new FaultSwitch();
	}

	@Bean
	ExampleEndpoint exampleEndpoint(@Value("${example.instance-name}") String instanceName, FaultSwitch faults,
			CatalogueRefresher refresher) {
		return new ExampleEndpoint(instanceName, faults, refresher);
	}

	@Bean
	ProductServiceGrpc.ProductServiceImplBase productService(@Value("${example.instance-name}") String instanceName,
			FaultSwitch faults, ObjectProvider<Tracer> tracer) {
		return new ProductServiceGrpc.ProductServiceImplBase() {
			@Override
			public void getProduct(GetProductRequest request, StreamObserver<Product> responseObserver) {
				if (faults.isFailing()) {
					responseObserver.onError(Status.UNAVAILABLE
						.withDescription(instanceName + " is failing (FaultSwitch on)")
						.asRuntimeException());
					return;
				}
				Product product = CATALOGUE.get(request.getId());
				if (product == null) {
					responseObserver.onError(Status.NOT_FOUND
						.withDescription("No product '" + request.getId() + "'")
						.asRuntimeException());
					return;
				}
				responseObserver.onNext(product.toBuilder()
					.setServedBy(instanceName)
					.setTraceId(TraceIds.current(tracer))
					.build());
				responseObserver.onCompleted();
			}
		};
	}

}
