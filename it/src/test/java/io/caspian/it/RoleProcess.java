package io.caspian.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One {@code caspian} role in its own JVM ({@code java -cp <app class path> io.caspian.app.Main ...}), or another
 * main of this module's ({@link #startMain}), its output in a log file. {@link #kill()} is SIGKILL; {@link #signal}
 * sends any other; {@link #restart()} starts the same command line again.
 */
final class RoleProcess implements AutoCloseable {
    private final String name;
    private final List<String> command;
    private final List<String> args;
    private final Path log;
    private Process process;
    private int starts;

    private RoleProcess(String name, List<String> command, List<String> args, Path log) {
        this.name = name;
        this.command = command;
        this.args = args;
        this.log = log;
    }

    static RoleProcess start(String name, Path logDir, List<String> args) throws IOException {
        return launch(name, logDir, appClasspath(), "io.caspian.app.Main", args);
    }

    /** {@code main}, a class of this module's tests, in a JVM of its own with the app's class path. */
    static RoleProcess startMain(String name, Path logDir, Class<?> main, List<String> args) throws IOException {
        String cp = appClasspath() + java.io.File.pathSeparator + System.getProperty("caspian.it.test-classes");
        return launch(name, logDir, cp, main.getName(), args);
    }

    private static String appClasspath() throws IOException {
        return Files.readString(Path.of(System.getProperty("caspian.it.classpath"))).strip();
    }

    private static RoleProcess launch(String name, Path logDir, String cp, String main, List<String> args)
            throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", cp, main));
        cmd.addAll(args);
        RoleProcess p = new RoleProcess(name, List.copyOf(cmd), List.copyOf(args), logDir.resolve(name + ".log"));
        p.restart();
        return p;
    }

    /** Starts the command again (after {@link #kill()}), appending to the same log. */
    void restart() throws IOException {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException(name + " is still running");
        }
        starts++;
        Files.writeString(log, "=== start " + starts + ": " + String.join(" ", args)
                + System.lineSeparator(), starts == 1 ? java.nio.file.StandardOpenOption.CREATE
                : java.nio.file.StandardOpenOption.APPEND, java.nio.file.StandardOpenOption.WRITE);
        process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    }

    /** SIGKILL, as a crashed machine would stop it: no shutdown hook runs. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException(name + " survived SIGKILL for 30 s");
        }
    }

    /** Sends {@code signal} ({@code STOP}, {@code CONT}, ...) with kill(1), as an operator or a hung machine would. */
    void signal(String signal) throws IOException, InterruptedException {
        Process k = new ProcessBuilder("kill", "-" + signal, String.valueOf(process.pid())).inheritIO().start();
        if (k.waitFor() != 0) {
            throw new IllegalStateException("kill -" + signal + " " + name + " failed");
        }
    }

    /**
     * Waits until this start's output holds a line equal to {@code line} (one per start, as a server's "ready"
     * line): the process may then be used. Fails when it ends first or {@code bound} passes.
     */
    void awaitLine(String line, java.time.Duration bound) throws Exception {
        Waits.await(name + " printing '" + line + "' (start " + starts + ")", bound, log.getParent(), () -> {
            if (!process.isAlive()) {
                throw new AssertionError(name + " ended before printing '" + line + "'; see " + log);
            }
            return Files.readAllLines(log).stream().filter(line::equals).count() >= starts;
        });
    }

    /** Appends the JVM's thread stacks to its log ({@code jcmd Thread.print}), to see what a hung role waits for. */
    void dumpThreads() throws IOException, InterruptedException {
        if (process == null || !process.isAlive()) {
            return;
        }
        Process j = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                String.valueOf(process.pid()), "Thread.print").redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        if (!j.waitFor(60, TimeUnit.SECONDS)) {
            j.destroyForcibly();
        }
    }

    /** The {@code i}th argument it was started with. */
    String arg(int i) {
        return args.get(i);
    }

    boolean alive() {
        return process.isAlive();
    }

    String name() {
        return name;
    }

    Path log() {
        return log;
    }

    @Override
    public void close() throws InterruptedException {
        if (process == null || !process.isAlive()) {
            return;
        }
        process.destroy();
        if (!process.waitFor(15, TimeUnit.SECONDS)) {
            kill();
        }
    }
}
