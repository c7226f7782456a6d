# The GPU end-to-end benchmarks' models (sourced by bench/e2e-gpu.sh and bench/device/e2e-fast.sh, which
# synthesise $W/yolov3.weights first): model_args NAME prints its cfg, weights, input size and threshold.
# Needs DATA (cfg/, models/yolo-fastest-1.1/) and W.
model_args() { # NAME
    local fw=$DATA/models/yolo-fastest-1.1
    case $1 in
    yolov3-416) echo "$DATA/cfg/yolov3.cfg $W/yolov3.weights 416 1.0" ;; # synthesised weights: no boxes at 1.0
    yolo-fastest-1.1) echo "$fw/yolo-fastest-1.1.cfg $fw/yolo-fastest-1.1.weights 320 0.25" ;;
    esac
}
