/**
 * Network faults for tests: {@link dev.grpcscale.test.net.TcpProxy}, a loopback TCP proxy that can drop
 * and black-hole connections.
 */
@NullMarked
package dev.grpcscale.test.net;

import org.jspecify.annotations.NullMarked;
