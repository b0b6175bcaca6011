#!/usr/bin/env bash
# Studio: set up the Linux virtual camera (v4l2loopback) and the systemd user units, on Debian/Ubuntu, Fedora or Arch.
#
#   sudo installers/linux/setup-virtualcam.sh              # do it
#   installers/linux/setup-virtualcam.sh --dry-run         # print every step, change nothing (no root needed)
#
# Idempotent: each step looks first and skips what is already in place, so running it again is safe.
# Steps:
#   1. install v4l2loopback (DKMS package and kernel headers) unless the running kernel already has the module;
#   2. options in /etc/modprobe.d/studio-v4l2loopback.conf: one device at a fixed number (video_nr, default 10),
#      a card label ("Studio"), exclusive_caps=1 (without it Chrome and other WebRTC apps do not list the camera);
#   3. load at boot: /etc/modules-load.d/studio-v4l2loopback.conf;
#   4. Secure Boot on: the kernel only loads signed modules. DKMS signs what it builds with its machine owner key
#      (MOK); that key must be enrolled once: `mokutil --import` asks for a one-time password, and at the next boot
#      the blue MOK manager asks for it ("Enroll MOK" -> Continue -> Yes -> password -> Reboot);
#   5. load the module now (reloading it when it runs with other options and no program holds it);
#   6. add the user to the 'video' group (cameras and the loopback device are root:video, mode 0660);
#   7. systemd user units for `studio cam` (headless camera -> virtual camera) and `studio serve` (HTTP service)
#      into ~/.config/systemd/user/, restarting on failure; installed, not enabled (the script prints how).
#
# Options:
#   --dry-run          print the steps and the commands, run nothing that changes the system
#   --video-nr N       device number: /dev/videoN (default 10)
#   --label TEXT       the name apps show (default Studio)
#   --user NAME        whose groups and units (default: the user who ran sudo)
#   --studio PATH      the studio command the units run (default: this checkout's .venv/bin/studio, the standalone
#                      app this script ships in, else studio on PATH)
#   --no-units         skip step 7
#   -h, --help         this text
# For tests: SETUP_SYS, SETUP_ETC, SETUP_VAR and SETUP_HOME stand for /sys, /etc, /var and the user's home.
set -euo pipefail

DRY_RUN=0
VIDEO_NR=10
LABEL="Studio"
TARGET_USER="${SUDO_USER:-${USER:-$(id -un)}}"
STUDIO_BIN=""
UNITS=1
SYS="${SETUP_SYS:-/sys}"
ETC="${SETUP_ETC:-/etc}"
VAR="${SETUP_VAR:-/var}"
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
MODPROBE_CONF="$ETC/modprobe.d/studio-v4l2loopback.conf"
MODULES_LOAD_CONF="$ETC/modules-load.d/studio-v4l2loopback.conf"
REBOOT_NEEDED=0
ORIGINAL_ARGS="$*"

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; }
say() { printf '==> %s\n' "$*"; }
note() { printf '    %s\n' "$*"; }
die() { printf 'setup-virtualcam: %s\n' "$*" >&2; exit 1; }

# Run a command that changes the system, or only print it.
run() {
    if [[ $DRY_RUN -eq 1 ]]; then
        printf '    [dry-run] %s\n' "$*"
    else
        printf '    + %s\n' "$*"
        "$@"
    fi
}

# write_file PATH MODE OWNER CONTENT: write when the content differs; print it in a dry run.
write_file() {
    local path="$1" mode="$2" owner="$3" content="$4"
    if [[ -f "$path" ]] && [[ "$(cat "$path")" == "$content" ]]; then
        note "already in place: $path"
        return 0
    fi
    if [[ $DRY_RUN -eq 1 ]]; then
        printf '    [dry-run] write %s (mode %s, owner %s):\n' "$path" "$mode" "$owner"
        printf '%s\n' "$content" | sed 's/^/        | /'
        return 0
    fi
    printf '    + write %s\n' "$path"
    local tmp
    tmp="$(mktemp)"
    printf '%s\n' "$content" >"$tmp"
    install -D -m "$mode" -o "${owner%%:*}" -g "${owner##*:}" "$tmp" "$path"
    rm -f "$tmp"
}

# "SecureBoot enabled", "SecureBoot disabled" or why neither could be said; efivars first (no tool needed).
secure_boot_state() {
    local var value
    for var in "$SYS"/firmware/efi/efivars/SecureBoot-*; do
        [[ -r "$var" ]] || continue
        value="$(od -An -t u1 -j4 -N1 "$var" | tr -d ' ')"  # 4 bytes of attributes, then the value
        if [[ "$value" == 1 ]]; then echo "SecureBoot enabled"; else echo "SecureBoot disabled"; fi
        return 0
    done
    if command -v mokutil >/dev/null 2>&1; then
        mokutil --sb-state 2>&1 | head -n1
    elif [[ -d "$SYS/firmware/efi" ]]; then
        echo "Secure Boot state unknown (EFI boot, no efivars, no mokutil)"
    else
        echo "not an EFI boot, so no Secure Boot"
    fi
}

# install_packages NAME...: with whichever package manager this distribution has.
install_packages() {
    if command -v apt-get >/dev/null 2>&1; then
        run apt-get install -y "$@"
    elif command -v dnf >/dev/null 2>&1; then
        run dnf install -y "$@"
    elif command -v pacman >/dev/null 2>&1; then
        run pacman -S --needed --noconfirm "$@"
    else
        die "install $* with your package manager and run this again"
    fi
}

while [[ $# -gt 0 ]]; do
    case "$1" in
        --dry-run) DRY_RUN=1 ;;
        --video-nr) VIDEO_NR="${2:?--video-nr needs a number}"; shift ;;
        --label) LABEL="${2:?--label needs a text}"; shift ;;
        --user) TARGET_USER="${2:?--user needs a name}"; shift ;;
        --studio) STUDIO_BIN="${2:?--studio needs a path}"; shift ;;
        --no-units) UNITS=0 ;;
        -h|--help) usage; exit 0 ;;
        *) die "unknown option $1 (see --help)" ;;
    esac
    shift
done

[[ "$VIDEO_NR" =~ ^[0-9]+$ ]] || die "--video-nr must be a number, got '$VIDEO_NR'"
[[ "$LABEL" != *'"'* ]] || die "--label must not contain a double quote"
[[ "$(uname -s)" == Linux ]] || die "this script is for Linux; Windows and macOS: see installers/windows-macos.md"
if [[ $DRY_RUN -eq 0 && $EUID -ne 0 ]]; then
    die "run it as root: sudo $0 $ORIGINAL_ARGS (or look first: $0 --dry-run)"
fi
id "$TARGET_USER" >/dev/null 2>&1 || die "no such user: $TARGET_USER (use --user NAME)"
USER_HOME="${SETUP_HOME:-$(getent passwd "$TARGET_USER" | cut -d: -f6)}"
USER_GROUP="$(id -gn "$TARGET_USER")"
KERNEL="$(uname -r)"
[[ $DRY_RUN -eq 1 ]] && say "dry run: nothing is changed; every step and command is printed"

# --- 1. the module -------------------------------------------------------------------------------------------
say "1. v4l2loopback for kernel $KERNEL"
if [[ -d "$SYS/module/v4l2loopback" ]] || modinfo v4l2loopback >/dev/null 2>&1; then
    note "already available: $(modinfo -F version v4l2loopback 2>/dev/null || echo 'loaded')"
elif command -v apt-get >/dev/null 2>&1; then
    run apt-get update
    run apt-get install -y v4l2loopback-dkms v4l2loopback-utils "linux-headers-$KERNEL"
elif command -v dnf >/dev/null 2>&1; then
    note "Fedora: v4l2loopback comes from RPM Fusion (free): https://rpmfusion.org/Configuration"
    run dnf install -y akmod-v4l2loopback v4l2loopback
    run akmods --force
elif command -v pacman >/dev/null 2>&1; then
    run pacman -S --needed --noconfirm v4l2loopback-dkms v4l2loopback-utils linux-headers
else
    die "no apt-get, dnf or pacman here: install v4l2loopback (DKMS) with your package manager and run this again"
fi

# --- 2./3. options and loading at boot -----------------------------------------------------------------------
say "2. module options (one device /dev/video$VIDEO_NR, label \"$LABEL\", exclusive_caps=1)"
OPTIONS="options v4l2loopback devices=1 video_nr=$VIDEO_NR card_label=\"$LABEL\" exclusive_caps=1"
write_file "$MODPROBE_CONF" 0644 root:root "# Written by Studio's setup-virtualcam.sh
$OPTIONS"
say "3. load at boot"
write_file "$MODULES_LOAD_CONF" 0644 root:root "# Written by Studio's setup-virtualcam.sh
v4l2loopback"

# --- 4. Secure Boot --------------------------------------------------------------------------------------------
say "4. Secure Boot"
SB_STATE="$(secure_boot_state)"
if [[ "$SB_STATE" == *"SecureBoot enabled"* ]]; then
    if ! command -v mokutil >/dev/null 2>&1; then
        install_packages mokutil
    fi
    MOK=""
    for candidate in "$VAR/lib/dkms/mok.pub" "$VAR/lib/shim-signed/mok/MOK.der"; do
        [[ -f "$candidate" ]] && MOK="$candidate" && break
    done
    if [[ -z "$MOK" ]]; then
        note "on, and no DKMS signing key yet: DKMS makes /var/lib/dkms/mok.pub when it builds the module;"
        note "run this script again after step 1 has built it (Ubuntu: sudo update-secureboot-policy --new-key)"
        [[ $DRY_RUN -eq 1 ]] && note "then: mokutil --import /var/lib/dkms/mok.pub, reboot, 'Enroll MOK'"
    elif mokutil --test-key "$MOK" 2>&1 | grep -q "already enrolled"; then
        note "on; the signing key $MOK is enrolled: signed modules load"
    else
        note "on; the key DKMS signs with ($MOK) is not enrolled yet. mokutil asks for a one-time password now;"
        note "at the next boot the MOK manager asks for it: Enroll MOK -> Continue -> Yes -> password -> Reboot"
        run mokutil --import "$MOK"
        REBOOT_NEEDED=1
    fi
else
    note "$SB_STATE: unsigned modules load"
fi

# --- 5. load now ----------------------------------------------------------------------------------------------
say "5. load the module now"
PARAMS="$SYS/module/v4l2loopback/parameters"
if [[ $REBOOT_NEEDED -eq 1 ]]; then
    note "skipped until the key is enrolled (reboot first); it then loads at boot by itself"
elif [[ -d "$SYS/module/v4l2loopback" ]]; then
    CAPS="$(cut -d, -f1 <"$PARAMS/exclusive_caps" 2>/dev/null || echo '?')"
    NRS="$(cat "$PARAMS/video_nr" 2>/dev/null || echo '')"
    if [[ "$CAPS" == Y && ",$NRS," == *",$VIDEO_NR,"* ]]; then
        note "already loaded with exclusive_caps=1 and /dev/video$VIDEO_NR"
    else
        note "loaded with other options (exclusive_caps=$CAPS, video_nr=$NRS): reloading it"
        note "(this fails while a program uses the device: close it and run this script again)"
        run modprobe -r v4l2loopback
        run modprobe v4l2loopback
    fi
else
    run modprobe v4l2loopback
fi

# --- 6. video group -------------------------------------------------------------------------------------------
say "6. camera rights for $TARGET_USER"
if id -nG "$TARGET_USER" | tr ' ' '\n' | grep -qx video; then
    note "$TARGET_USER is in the 'video' group already"
else
    run usermod -aG video "$TARGET_USER"
    note "log out and in again (or reboot) for the new group to count"
fi

# --- 7. systemd user units ------------------------------------------------------------------------------------
if [[ $UNITS -eq 1 ]]; then
    say "7. systemd user units for $TARGET_USER"
    if [[ -z "$STUDIO_BIN" ]]; then
        # A checkout's venv, or the standalone app this script came with (<app>/_internal/share/studio/installers/linux).
        if [[ -x "$SCRIPT_DIR/../../.venv/bin/studio" ]]; then
            STUDIO_BIN="$(cd "$SCRIPT_DIR/../.." && pwd)/.venv/bin/studio"
        elif [[ -x "$SCRIPT_DIR/../../../../../studio" && -d "$SCRIPT_DIR/../../../../../_internal" ]]; then
            STUDIO_BIN="$(cd "$SCRIPT_DIR/../../../../.." && pwd)/studio"
        else
            STUDIO_BIN="$(sudo -u "$TARGET_USER" -i command -v studio 2>/dev/null || command -v studio || true)"
        fi
    fi
    if [[ -z "$STUDIO_BIN" ]]; then
        note "no studio command found: units not installed (run again with --studio /path/to/studio)"
    else
        UNIT_DIR="$USER_HOME/.config/systemd/user"
        for unit in studio-cam.service studio-serve.service; do
            content="$(sed -e "s#@STUDIO@#$STUDIO_BIN#g" -e "s#@DOCS@#$SCRIPT_DIR/systemd/$unit#g" \
                "$SCRIPT_DIR/systemd/$unit")"
            write_file "$UNIT_DIR/$unit" 0644 "$TARGET_USER:$USER_GROUP" "$content"
        done
        note "studio-serve.service runs \`studio serve\` (the HTTP service); enable it where that command exists"
        note "enable them as $TARGET_USER (a user unit: no sudo):"
        note "  systemctl --user daemon-reload"
        note "  systemctl --user enable --now studio-cam.service"
        note "  sudo loginctl enable-linger $TARGET_USER    # start at boot without a login"
    fi
fi

say "done. Check with: studio doctor"
[[ $REBOOT_NEEDED -eq 1 ]] && say "reboot now and enrol the key (Enroll MOK); the virtual camera is there afterwards"
exit 0
