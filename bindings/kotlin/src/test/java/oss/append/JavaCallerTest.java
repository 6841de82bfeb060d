package oss.append;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The binding called from Java, as an Android app still written in Java calls it: plain long and
 * int, no mangled names, a progress listener as a lambda, errors caught by class.
 */
class JavaCallerTest {
    private static final String BUCKET = TestEmulator.BUCKET;

    private static OssClient client() {
        ClientConfig config = new ClientConfig(
            TestEmulator.INSTANCE.getEndpoint(), "cn-hangzhou", null, null,
            5_000L, 10_000L, null, 1, 10L, null, null, null, null, null);
        return new OssClient(config, new Credentials("test-ak", "test-sk", null, null));
    }

    @Test
    void appendsWithProgressAndReadsBack() throws OssException {
        OssClient client = client();
        String key = TestEmulator.INSTANCE.key("java.log");
        byte[] first = "hello from java\n".getBytes(StandardCharsets.UTF_8);
        List<long[]> calls = Collections.synchronizedList(new ArrayList<>());
        ProgressListener listener = (sent, total) -> {
            calls.add(new long[] {sent, total});
            return true;
        };
        AppendResult result = client.appendBlocking(BUCKET, key, first, null, listener, null);
        assertEquals(0L, result.getPosition());
        assertEquals(first.length, result.getNextPosition());
        assertFalse(calls.isEmpty());
        assertEquals(first.length, calls.get(calls.size() - 1)[0]);

        Appender log = client.appender(BUCKET, key, null, null);
        byte[] second = "again\n".getBytes(StandardCharsets.UTF_8);
        AppendResult next = log.appendBlocking(second, null);
        assertEquals(first.length, next.getPosition());
        assertEquals(Long.valueOf(first.length + second.length), log.nextPosition());

        ObjectMeta meta = client.headBlocking(BUCKET, key, null);
        assertEquals(first.length + second.length, meta.getContentLength());
        assertEquals(next.getCrc64(), meta.getCrc64().longValue());
        byte[] back = client.getBlocking(BUCKET, key, new ByteRange.From(first.length), null).getData();
        assertArrayEquals(second, back);
    }

    @Test
    void errorsAreCaughtByClassWithTheirFields() throws OssException {
        OssClient client = client();
        String key = TestEmulator.INSTANCE.key("java-conflict.log");
        byte[] body = "12345".getBytes(StandardCharsets.UTF_8);
        client.appendBlocking(BUCKET, key, body, null, null, null);
        OssException.Service conflict = assertThrows(OssException.Service.class,
            () -> client.appendBlocking(BUCKET, key, body, new AppendOptions(0L, null, null), null, null));
        ServiceFailure failure = conflict.getFailure();
        assertEquals(409, failure.getStatus());
        assertEquals(ServiceErrorKind.POSITION_NOT_EQUAL_TO_LENGTH, failure.getKind());
        assertEquals(Long.valueOf(body.length), failure.getNextPosition());

        OssException.Callback thrown = assertThrows(OssException.Callback.class,
            () -> client.appendBlocking(BUCKET, key, body, null, (sent, total) -> {
                throw new IllegalStateException("stop");
            }, null));
        assertEquals(CallbackKind.PROGRESS, thrown.getCallback());
        assertEquals("java.lang.IllegalStateException: stop", thrown.getReason());

        OssException.InvalidArgument negative = assertThrows(OssException.InvalidArgument.class,
            () -> client.appendBlocking(BUCKET, key, body, new AppendOptions(-1L, null, null), null, null));
        assertEquals("position", negative.getName());
        // Nothing was appended by the refused calls.
        assertEquals(body.length, client.headBlocking(BUCKET, key, null).getContentLength());
    }

    @Test
    void noPublicNameIsMangled() {
        // Kotlin's unsigned types made names such as onProgress-PWzV0Is(long, long) that Java cannot call.
        Class<?>[] types = {
            OssClient.class, Appender.class, ProgressListener.class, AppendResult.class, ObjectMeta.class,
            GetResult.class, AppendOptions.class, ClientConfig.class, OssException.Service.class, ServiceFailure.class,
            OssException.Unsettled.class, InFlight.class, Spool.class, SpoolConfig.class, SpoolStatus.class,
        };
        for (Class<?> type : types) {
            for (Method method : type.getMethods()) {
                assertFalse(method.getName().contains("-"), type.getSimpleName() + "." + method.getName());
            }
        }
        assertTrue(types.length > 0);
    }
}
