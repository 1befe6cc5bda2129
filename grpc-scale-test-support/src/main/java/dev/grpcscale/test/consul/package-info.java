/**
 * A test fixture that stands in for a Consul agent's HTTP API (catalog, health, sessions, KV): {@link
 * dev.grpcscale.test.consul.FakeConsulAgent}.
 */
@NullMarked
package dev.grpcscale.test.consul;

import org.jspecify.annotations.NullMarked;
