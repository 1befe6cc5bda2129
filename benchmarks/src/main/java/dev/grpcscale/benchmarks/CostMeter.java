package dev.grpcscale.benchmarks;

import java.lang.management.ManagementFactory;
import java.util.HashMap;
import java.util.Map;

/**
 * What the whole process spent between two snapshots, in counters that do not depend on how busy the
 * machine is: process CPU time ({@code com.sun.management.OperatingSystemMXBean#getProcessCpuTime}, all
 * threads: callers, Netty's event loops, servers, health probes, span export, GC and JIT), the CPU time of
 * the Java threads alone ({@code ThreadMXBean#getThreadCpuTime}, the same without the JIT compiler and GC
 * threads, so a late compilation does not land on whichever stack runs then) and bytes
 * allocated on the heap by every Java thread ({@code com.sun.management.ThreadMXBean#getThreadAllocatedBytes},
 * summed over the threads alive at the second snapshot; a thread started in between counts from zero).
 * A thread that ends between the snapshots is not counted, so measurements keep their threads alive
 * (callers in a pool that lives for the whole run; Netty's loops live as long as their channels and servers).
 */
final class CostMeter {

	private final com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean) ManagementFactory
		.getOperatingSystemMXBean();

	private final com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory
		.getThreadMXBean();

	CostMeter() {
		if (this.threads.isThreadAllocatedMemorySupported() && !this.threads.isThreadAllocatedMemoryEnabled()) {
			this.threads.setThreadAllocatedMemoryEnabled(true);
		}
		if (this.threads.isThreadCpuTimeSupported() && !this.threads.isThreadCpuTimeEnabled()) {
			this.threads.setThreadCpuTimeEnabled(true);
		}
	}

	/** The process's CPU time and every live thread's allocated bytes now. */
	Snapshot snapshot() {
		long[] ids = this.threads.getAllThreadIds();
		long[] allocated = this.threads.getThreadAllocatedBytes(ids);
		long[] cpu = this.threads.getThreadCpuTime(ids);
		Map<Long, Long> byThread = new HashMap<>(ids.length * 2);
		Map<Long, Long> cpuByThread = new HashMap<>(ids.length * 2);
		for (int i = 0; i < ids.length; i++) {
			if (allocated[i] >= 0) {
				byThread.put(ids[i], allocated[i]);
			}
			if (cpu[i] >= 0) {
				cpuByThread.put(ids[i], cpu[i]);
			}
		}
		return new Snapshot(this.os.getProcessCpuTime(), cpuByThread, byThread);
	}

	/**
	 * Counters at one moment.
	 * @param cpuNanos the process's CPU time
	 * @param cpuByThread CPU time so far, by Java thread id
	 * @param allocatedByThread bytes allocated so far, by thread id
	 */
	record Snapshot(long cpuNanos, Map<Long, Long> cpuByThread, Map<Long, Long> allocatedByThread) {

		/** The process's CPU time from {@code earlier} to this snapshot. */
		long cpuNanosSince(Snapshot earlier) {
			return this.cpuNanos - earlier.cpuNanos;
		}

		/** CPU time of the Java threads alive now, from {@code earlier} to this snapshot. */
		long threadCpuNanosSince(Snapshot earlier) {
			return sumSince(this.cpuByThread, earlier.cpuByThread);
		}

		/** Bytes allocated from {@code earlier} to this snapshot by the threads alive now. */
		long allocatedBytesSince(Snapshot earlier) {
			return sumSince(this.allocatedByThread, earlier.allocatedByThread);
		}

		private static long sumSince(Map<Long, Long> now, Map<Long, Long> earlier) {
			long sum = 0;
			for (Map.Entry<Long, Long> entry : now.entrySet()) {
				sum += entry.getValue() - earlier.getOrDefault(entry.getKey(), 0L);
			}
			return sum;
		}

	}

}
