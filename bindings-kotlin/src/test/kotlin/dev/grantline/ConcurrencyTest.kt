// Many coroutines in flight at once on one client, and cancellation: a cancelled coroutine's
// request is aborted (its connection closed), not left running to its timeout.
package dev.grantline

import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.cancelAndJoin
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withContext
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import java.net.InetAddress
import java.net.ServerSocket
import java.net.SocketTimeoutException
import java.util.concurrent.CountDownLatch
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicInteger

class ConcurrencyTest {
    @Test
    fun `1000 coroutines in flight at once`() = runBlocking(Dispatchers.Default) {
        val app = TestServer.app()
        val expected = app.listGrants(limit = 1).total
        // Every request waits at the server until all 1,000 have been sent, so they are all in
        // flight together: the server holds each for 3 s, and the last one starts long before.
        TestServer.fault(mapOf("path_prefix" to "/sdk/grants/list", "status" to 0, "delay_ms" to 3000, "times" to 1000))
        try {
            val inFlight = AtomicInteger()
            val most = AtomicInteger()
            val pages = (1..1000).map {
                async(start = CoroutineStart.UNDISPATCHED) {
                    most.accumulateAndGet(inFlight.incrementAndGet(), ::maxOf)
                    try {
                        app.listGrants(limit = 1)
                    } finally {
                        inFlight.decrementAndGet()
                    }
                }
            }.awaitAll()
            assertEquals(1000, pages.size)
            assertTrue(pages.all { it.total == expected && it.limit == 1L })
            assertEquals(1000, most.get())
        } finally {
            TestServer.clearFaults()
        }
    }

    @Test
    fun `cancelling a coroutine aborts its request`() = runBlocking {
        // A local server that reads the request and never answers: only an aborted request
        // closes the connection before the client's 30 s timeout.
        ServerSocket(0, 1, InetAddress.getLoopbackAddress()).use { server ->
            val app = App(TestServer.appKey, baseUrl = "http://127.0.0.1:${server.localPort}", maxRetries = 0)
            val received = CountDownLatch(1)
            val closed = CountDownLatch(1)
            val peer = Thread {
                server.accept().use { socket ->
                    socket.soTimeout = 10_000
                    val input = socket.getInputStream()
                    val head = StringBuilder()
                    while (!head.endsWith("\r\n\r\n")) head.append(input.read().toChar())
                    received.countDown()
                    try {
                        while (input.read() != -1) { /* the body, then the end of the stream */ }
                        closed.countDown()
                    } catch (_: SocketTimeoutException) {
                    }
                }
            }.apply { start() }
            val job = launch(Dispatchers.Default) { app.listGrants() }
            withContext(Dispatchers.IO) { assertTrue(received.await(10, TimeUnit.SECONDS), "the request never arrived") }
            job.cancelAndJoin()
            withContext(Dispatchers.IO) {
                assertTrue(closed.await(10, TimeUnit.SECONDS), "the connection stayed open after the coroutine was cancelled")
                peer.join()
            }
            assertTrue(job.isCancelled)
        }
    }
}
