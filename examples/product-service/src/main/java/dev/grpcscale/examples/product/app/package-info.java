/**
 * The product-service example application.
 */
@NullMarked
package dev.grpcscale.examples.product.app;

import org.jspecify.annotations.NullMarked;
