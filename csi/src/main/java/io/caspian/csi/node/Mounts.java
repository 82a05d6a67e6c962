package io.caspian.csi.node;

import io.caspian.csi.ExternalCommand;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** The kernel's mount table ({@code /proc/self/mountinfo}) and the mount commands. */
final class Mounts {
    static final Duration TIMEOUT = Duration.ofSeconds(60);

    private final Path mountinfo;

    Mounts(Path mountinfo) {
        this.mountinfo = mountinfo;
    }

    /** One line of mountinfo: the device (major:minor), the root within it, where, what filesystem, from what. */
    record Mount(String device, String root, Path mountPoint, String fsType, String source, Set<String> options) {
        boolean readOnly() {
            return options.contains("ro");
        }
    }

    List<Mount> all() {
        List<String> lines;
        try {
            lines = Files.readAllLines(mountinfo);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + mountinfo, e);
        }
        List<Mount> out = new ArrayList<>();
        for (String line : lines) {
            String[] f = line.split(" ");
            int dash = java.util.Arrays.asList(f).indexOf("-");
            if (f.length < 7 || dash < 6 || dash + 2 >= f.length) {
                continue;
            }
            out.add(new Mount(f[2], unescape(f[3]), Path.of(unescape(f[4])), f[dash + 1], unescape(f[dash + 2]),
                    Set.of(f[5].split(","))));
        }
        return out;
    }

    /** The last mount at {@code path} (the one a process sees). */
    Optional<Mount> at(Path path) {
        Path p = path.toAbsolutePath().normalize();
        Mount found = null;
        for (Mount m : all()) {
            if (m.mountPoint().equals(p)) {
                found = m;
            }
        }
        return Optional.ofNullable(found);
    }

    void mount(Path device, Path target, String fsType, List<String> flags) {
        List<String> argv = new ArrayList<>(List.of("mount", "-t", fsType));
        if (!flags.isEmpty()) {
            argv.add("-o");
            argv.add(String.join(",", flags));
        }
        argv.add(device.toString());
        argv.add(target.toString());
        ExternalCommand.check(TIMEOUT, argv);
    }

    /** Bind-mounts {@code source} on {@code target}; read-only needs a second, remounting step. */
    void bind(Path source, Path target, boolean readOnly) {
        ExternalCommand.check(TIMEOUT, List.of("mount", "--bind", source.toString(), target.toString()));
        if (readOnly) {
            ExternalCommand.check(TIMEOUT, List.of("mount", "-o", "remount,bind,ro", target.toString()));
        }
    }

    void umount(Path target) {
        ExternalCommand.check(TIMEOUT, List.of("umount", target.toString()));
    }

    private static String unescape(String s) {
        if (!s.contains("\\")) {
            return s;
        }
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length()) {
                b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }
}
