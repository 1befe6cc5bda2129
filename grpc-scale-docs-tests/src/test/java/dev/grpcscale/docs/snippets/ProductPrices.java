package dev.grpcscale.docs.snippets;

// tag::imports[]
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;

import com.google.common.util.concurrent.ListenableFuture;
import dev.grpcscale.EnhancedServiceManager;
import dev.grpcscale.circuitbreaker.CircuitBreakerOpenException;
import dev.grpcscale.examples.product.GetProductRequest;
import dev.grpcscale.examples.product.Product;
import dev.grpcscale.examples.product.ProductServiceGrpc;
import org.springframework.stereotype.Service;
// end::imports[]

// tag::code[]
@Service
class ProductPrices {

    private final EnhancedServiceManager manager;

    private final ProductServiceGrpc.ProductServiceBlockingStub products;

    private final ProductServiceGrpc.ProductServiceFutureStub futureProducts;

    ProductPrices(EnhancedServiceManager manager, ProductServiceGrpc.ProductServiceBlockingStub products,
            ProductServiceGrpc.ProductServiceFutureStub futureProducts) {
        this.manager = manager;
        this.products = products;
        this.futureProducts = futureProducts;
    }

    long priceCents(String productId) {
        GetProductRequest request = GetProductRequest.newBuilder().setId(productId).build();
        try {
            // the operation throws no checked exception, so there is none to catch
            Product product = manager.executeWithEnhancements(() -> products.getProduct(request), "get-product");
            return product.getPriceCents();
        }
        catch (CircuitBreakerOpenException ex) {
            return -1;   // the breaker 'get-product' is open: the call was not made
        }
    }

    CompletionStage<Product> productLater(String productId) {
        GetProductRequest request = GetProductRequest.newBuilder().setId(productId).build();
        return manager.executeWithEnhancementsAsync(() -> toStage(futureProducts.getProduct(request)), "get-product");
    }

    private static <T> CompletionStage<T> toStage(ListenableFuture<T> future) {
        CompletableFuture<T> stage = new CompletableFuture<>();
        future.addListener(() -> {
            try {
                stage.complete(future.get());
            }
            catch (ExecutionException ex) {
                stage.completeExceptionally(ex.getCause());
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                stage.completeExceptionally(ex);
            }
        }, Runnable::run);
        return stage;
    }

}
// end::code[]
