/**
 * Certificates made for a test run: a CA, servers and clients, as PKCS12 and PEM files.
 */
@NullMarked
package dev.grpcscale.test.tls;

import org.jspecify.annotations.NullMarked;
