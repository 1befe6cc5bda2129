package dev.grpcscale.benchmarks;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.IoHandlerFactory;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.ServerChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollIoHandler;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.nio.NioIoHandler;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioServerSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioSocketChannel;

/**
 * Every thread one load stack runs its calls on, named after the stack ({@code <stack>/...}) so that the CPU
 * time and heap bytes of each stack can be told apart while several stacks run at the same time
 * ({@link CostMeter.Snapshot#cpuNanosSince(CostMeter.Snapshot, String)}): its callers, the client's event
 * loops, the servers' event loops and the servers' handler executor (which runs the server interceptors and
 * the service), and the channel's executors (name resolution, load balancer updates). The transport is the
 * one grpc-java picks by default (epoll where available, else NIO); each event loop group has as many loops as
 * the machine has cores (grpc-java's default group, shared by every channel of a process, has twice that).
 */
final class StackThreads implements AutoCloseable {

	private final String prefix;

	private final boolean epoll = Epoll.isAvailable();

	private final EventLoopGroup client;

	private final EventLoopGroup boss;

	private final EventLoopGroup workers;

	private final ExecutorService handlers;

	final ExecutorService callers;

	StackThreads(String stack, int callers) {
		this.prefix = stack + "/";
		int loops = Math.max(1, Runtime.getRuntime().availableProcessors());
		this.client = group(loops, "client-loop");
		this.boss = group(1, "server-boss");
		this.workers = group(loops, "server-loop");
		this.handlers = Executors.newCachedThreadPool(named("handler"));
		// one pool for the whole run: a caller thread that ended mid-run would take its counters along
		this.callers = Executors.newFixedThreadPool(callers, named("caller"));
	}

	/** Whether a thread with this name is one of this stack's. */
	boolean owns(String threadName) {
		return threadName.startsWith(this.prefix);
	}

	/** The thread-name prefix of this stack's threads. */
	String prefix() {
		return this.prefix;
	}

	NettyChannelBuilder onClient(NettyChannelBuilder builder) {
		return builder.eventLoopGroup(this.client)
			.channelType(this.epoll ? EpollSocketChannel.class : NioSocketChannel.class)
			.executor(this.handlers)
			.offloadExecutor(this.handlers);
	}

	NettyServerBuilder onServer(NettyServerBuilder builder) {
		Class<? extends ServerChannel> type = this.epoll ? EpollServerSocketChannel.class
				: NioServerSocketChannel.class;
		return builder.bossEventLoopGroup(this.boss)
			.workerEventLoopGroup(this.workers)
			.channelType(type)
			.executor(this.handlers);
	}

	private EventLoopGroup group(int threads, String role) {
		IoHandlerFactory io = this.epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
		return new MultiThreadIoEventLoopGroup(threads, named(role), io);
	}

	private ThreadFactory named(String role) {
		AtomicInteger count = new AtomicInteger();
		return (task) -> {
			Thread thread = new Thread(task, this.prefix + role + "-" + count.incrementAndGet());
			thread.setDaemon(true);
			return thread;
		};
	}

	/** Ends every thread; call after the stack's channel and servers are shut down. */
	@Override
	public void close() throws InterruptedException {
		this.callers.shutdownNow();
		this.handlers.shutdown();
		this.client.shutdownGracefully(0, 1, TimeUnit.SECONDS);
		this.workers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
		this.boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
		this.callers.awaitTermination(5, TimeUnit.SECONDS);
		this.handlers.awaitTermination(5, TimeUnit.SECONDS);
	}

}
