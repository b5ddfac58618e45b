#!/usr/bin/env bash
# Install the EPAM edge monitor as a system service (no containers).
#
#   sudo deploy/install.sh                    # install or update, enable the service
#   sudo deploy/install.sh --start            # ... and (re)start it
#   sudo deploy/install.sh --extras openvino  # x86 CPUs: add the OpenVINO backend
#   sudo deploy/install.sh --uninstall        # remove app + service; keep config and data
#   sudo deploy/install.sh --uninstall --purge   # ... and config, data and the user
#   deploy/install.sh --dry-run               # print what it would do, change nothing
#   deploy/install.sh --prefix /tmp/stage     # install under a staging root (no user,
#                                             # no systemctl; for packaging and tests)
#
# Layout: app and venv in /opt/epam-edge, config in /etc/epam-edge (config.yaml, env
# with secrets, mode 0640), data in /var/lib/epam-edge (event store, logs, engine
# caches, models), the system user epam-edge (group video for cameras and the Jetson
# GPU). Idempotent: a second run updates the app and venv and never overwrites the
# config, env or data.
#
# Environment: PYTHON (default python3, >= 3.10), ORT_PACKAGE / ORT_INDEX_URL
# (onnxruntime-gpu for Jetson or CUDA PCs), PIP_EXTRA_ARGS.
set -euo pipefail

APP_NAME=epam-edge
SERVICE_USER=epam-edge
PREFIX=""
DRY_RUN=0
UNINSTALL=0
PURGE=0
START=0
SKIP_VENV=0
EXTRAS=""
JETSON=auto
PYTHON=${PYTHON:-python3}
ORT_PACKAGE=${ORT_PACKAGE:-}
ORT_INDEX_URL=${ORT_INDEX_URL:-}
PIP_EXTRA_ARGS=${PIP_EXTRA_ARGS:-}
SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

usage() {
    sed -n '2,21p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    cat <<'EOF'
Options:
  --prefix DIR     install under DIR (staging root): no user, no chown, no systemctl
  --dry-run        print the commands instead of running them
  --uninstall      remove the service and the app (config and data stay)
  --purge          with --uninstall: remove config, data and the user too
  --start          start (or restart) the service after installing
  --extras LIST    pip extras, comma-separated (e.g. openvino)
  --jetson|--no-jetson   force the Jetson setup on or off (default: detected)
  --skip-venv      copy files and units but do not create or update the venv
  -h, --help       this help
EOF
}

while [[ $# -gt 0 ]]; do
    case "$1" in
        --prefix) PREFIX=${2:?--prefix needs a directory}; shift 2 ;;
        --prefix=*) PREFIX=${1#*=}; shift ;;
        --dry-run) DRY_RUN=1; shift ;;
        --uninstall) UNINSTALL=1; shift ;;
        --purge) PURGE=1; shift ;;
        --start) START=1; shift ;;
        --extras) EXTRAS=${2:?--extras needs a list}; shift 2 ;;
        --extras=*) EXTRAS=${1#*=}; shift ;;
        --jetson) JETSON=1; shift ;;
        --no-jetson) JETSON=0; shift ;;
        --skip-venv) SKIP_VENV=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
    esac
done

if [[ -n "$PREFIX" ]]; then
    PREFIX=$(realpath -m "$PREFIX")
fi
APP_DIR="$PREFIX/opt/$APP_NAME"
CONF_DIR="$PREFIX/etc/$APP_NAME"
DATA_DIR="$PREFIX/var/lib/$APP_NAME"
UNIT_DIR="$PREFIX/etc/systemd/system"
UNIT="$UNIT_DIR/$APP_NAME.service"
DROPIN_DIR="$UNIT_DIR/$APP_NAME.service.d"
VENV="$APP_DIR/venv"
# a real system install: users, ownership and systemctl (not for --prefix staging)
SYSTEM=1
[[ -n "$PREFIX" ]] && SYSTEM=0

log() { printf '==> %s\n' "$*"; }

run() {
    if [[ $DRY_RUN -eq 1 ]]; then
        printf '+'
        printf ' %q' "$@"
        printf '\n'
    else
        "$@"
    fi
}

if [[ $JETSON == auto ]]; then
    if [[ -f /etc/nv_tegra_release ]]; then JETSON=1; else JETSON=0; fi
fi

if [[ $SYSTEM -eq 1 && $DRY_RUN -eq 0 && $(id -u) -ne 0 ]]; then
    echo "run as root (sudo $0 $*), or use --prefix DIR / --dry-run" >&2
    exit 1
fi

uninstall() {
    log "removing the $APP_NAME service and app"
    if [[ $SYSTEM -eq 1 ]] && command -v systemctl >/dev/null 2>&1; then
        run systemctl disable --now "$APP_NAME.service" || true
    fi
    run rm -f "$UNIT"
    run rm -rf "$DROPIN_DIR" "$APP_DIR"
    if [[ $SYSTEM -eq 1 ]] && command -v systemctl >/dev/null 2>&1; then
        run systemctl daemon-reload
    fi
    if [[ $PURGE -eq 1 ]]; then
        log "purging config, data and the $SERVICE_USER user"
        run rm -rf "$CONF_DIR" "$DATA_DIR"
        if [[ $SYSTEM -eq 1 ]] && getent passwd "$SERVICE_USER" >/dev/null; then
            run userdel "$SERVICE_USER"
        fi
    else
        log "kept $CONF_DIR and $DATA_DIR (--purge removes them)"
    fi
}

check_python() {
    if ! command -v "$PYTHON" >/dev/null 2>&1; then
        echo "$PYTHON not found: install Python >= 3.10 (apt install python3 python3-venv)" >&2
        exit 1
    fi
    if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))'; then
        echo "$PYTHON is $("$PYTHON" -V 2>&1); the monitor needs Python >= 3.10" \
             "(JetPack 5: see docs/deployment.md)" >&2
        exit 1
    fi
}

create_user() {
    if [[ $SYSTEM -eq 0 ]]; then
        log "staging: no system user (would create $SERVICE_USER in group video)"
        return
    fi
    if ! getent passwd "$SERVICE_USER" >/dev/null; then
        log "creating system user $SERVICE_USER"
        run useradd --system --user-group --home-dir "$DATA_DIR" --no-create-home \
            --shell /usr/sbin/nologin "$SERVICE_USER"
    fi
    if getent group video >/dev/null; then
        run usermod -a -G video "$SERVICE_USER"
    fi
}

copy_app() {
    log "installing the app into $APP_DIR/app"
    run mkdir -p "$APP_DIR/app"
    local item
    for item in pyproject.toml README.md edge_app model deploy assets docs; do
        if [[ -e "$SRC_DIR/$item" ]]; then
            run rm -rf "${APP_DIR:?}/app/$item"
            run cp -R "$SRC_DIR/$item" "$APP_DIR/app/$item"
        fi
    done
    run find "$APP_DIR/app" -name __pycache__ -type d -prune -exec rm -rf {} +
}

make_venv() {
    if [[ $SKIP_VENV -eq 1 ]]; then
        log "skipping the venv (--skip-venv)"
        return
    fi
    check_python
    local site=()
    # Jetson: the system OpenCV (built with GStreamer, for CSI cameras) must be visible
    [[ $JETSON -eq 1 ]] && site=(--system-site-packages)
    if [[ ! -x "$VENV/bin/python" ]]; then
        log "creating the venv $VENV"
        run "$PYTHON" -m venv "${site[@]}" "$VENV"
    fi
    local spec="$APP_DIR/app"
    [[ -n "$EXTRAS" ]] && spec="${spec}[$EXTRAS]"
    log "installing dependencies (pip)"
    # shellcheck disable=SC2086  # PIP_EXTRA_ARGS is a list of words on purpose
    run "$VENV/bin/pip" install --quiet --upgrade pip $PIP_EXTRA_ARGS
    # shellcheck disable=SC2086
    # editable: the app runs from $APP_DIR/app, beside its bundled assets/
    run "$VENV/bin/pip" install --quiet --upgrade $PIP_EXTRA_ARGS --editable "$spec"
    local ort=$ORT_PACKAGE
    [[ -z "$ort" && $JETSON -eq 1 ]] && ort=onnxruntime-gpu
    if [[ -n "$ort" ]]; then
        log "replacing onnxruntime (CPU) with $ort"
        run "$VENV/bin/pip" uninstall --yes onnxruntime
        local index=()
        [[ -n "$ORT_INDEX_URL" ]] && index=(--extra-index-url "$ORT_INDEX_URL")
        # shellcheck disable=SC2086
        run "$VENV/bin/pip" install --quiet $PIP_EXTRA_ARGS "${index[@]}" "$ort"
    fi
    if [[ $JETSON -eq 1 ]]; then
        log "using JetPack's OpenCV (GStreamer) instead of the PyPI wheel"
        run "$VENV/bin/pip" uninstall --yes opencv-contrib-python opencv-python \
            opencv-python-headless opencv-contrib-python-headless
        if [[ $DRY_RUN -eq 0 ]] && ! "$VENV/bin/python" -c 'import cv2' 2>/dev/null; then
            echo "warning: no system OpenCV: apt install python3-opencv (CSI cameras need" \
                 "its GStreamer support)" >&2
        fi
    fi
}

install_config() {
    log "config in $CONF_DIR, data in $DATA_DIR"
    run mkdir -p "$CONF_DIR" "$DATA_DIR/models"
    if [[ -e "$CONF_DIR/config.yaml" ]]; then
        log "kept the existing $CONF_DIR/config.yaml"
    else
        run install -m 0640 "$SRC_DIR/deploy/config/config.yaml" "$CONF_DIR/config.yaml"
    fi
    if [[ ! -e "$CONF_DIR/env" ]]; then
        run install -m 0640 "$SRC_DIR/deploy/config/env.example" "$CONF_DIR/env"
    fi
    if [[ $SYSTEM -eq 1 ]]; then
        run chown root:"$SERVICE_USER" "$CONF_DIR" "$CONF_DIR/config.yaml" "$CONF_DIR/env"
        run chmod 0750 "$CONF_DIR"
        run chown -R "$SERVICE_USER:$SERVICE_USER" "$DATA_DIR"
        run chmod 0750 "$DATA_DIR"
    fi
}

install_units() {
    log "installing the systemd unit $UNIT"
    run mkdir -p "$UNIT_DIR"
    run install -m 0644 "$SRC_DIR/deploy/systemd/$APP_NAME.service" "$UNIT"
    if [[ $JETSON -eq 1 ]]; then
        run mkdir -p "$DROPIN_DIR"
        run install -m 0644 "$SRC_DIR/deploy/systemd/jetson.conf" "$DROPIN_DIR/jetson.conf"
    else
        run rm -f "$DROPIN_DIR/jetson.conf"
    fi
    if [[ $SYSTEM -eq 1 ]] && command -v systemctl >/dev/null 2>&1; then
        run systemctl daemon-reload
        run systemctl enable "$APP_NAME.service"
        if [[ $START -eq 1 ]]; then
            run systemctl restart "$APP_NAME.service"
        fi
    fi
}

if [[ $UNINSTALL -eq 1 ]]; then
    uninstall
    exit 0
fi

log "installing $APP_NAME from $SRC_DIR${PREFIX:+ under $PREFIX}$([[ $JETSON -eq 1 ]] && echo ' (Jetson)')"
create_user
copy_app
make_venv
install_config
install_units
cat <<EOF
==> done. Next:
    edit $CONF_DIR/config.yaml (source, MQTT) and $CONF_DIR/env (MQTT_PASSWORD)
    sudo -u $SERVICE_USER $VENV/bin/python -m edge_app doctor --config $CONF_DIR/config.yaml
    sudo systemctl restart $APP_NAME && journalctl -u $APP_NAME -f
EOF
