# darkrt build. The targets below are the interface; everything else is detail.
#   make            build/darkrt, build/libdarkrt.a, build/libdarkrt.so, and the modules loaded on first
#                   use (src/core/module.h): build/libdarkrt-video.so (FFmpeg), build/libdarkrt-cuda.so
#                   (with nvcc; libdarkrt-cuda.a too)
#   make demo       install what is missing, build, run the main job on yolo-fastest-1.1 + dog.jpg
#   make test       install what is missing, build with ASan+UBSan, run the whole test suite
#   make bench-cpu  the CPU benchmark against ONNX Runtime, PyTorch and Darknet (bench/)
#   make install    headers, libraries, the CLI, darkrt.pc and the CMake package under PREFIX (DESTDIR too)
# Variables: BUILD=dir (default build), SAN=1 (ASan+UBSan), CUDA=0 (skip nvcc), OPT=-O2, PREFIX=/usr/local.
# This is darkrt's one build description: CMakeLists.txt only calls these targets.

BUILD ?= build
SAN ?= 0
OPT ?= -O2
CC ?= cc
NVCC ?= $(shell command -v nvcc 2>/dev/null || ls /usr/local/cuda/bin/nvcc 2>/dev/null)
CUDA ?= $(if $(NVCC),1,0)
CUDA_HOME ?= /usr/local/cuda

SANITIZE := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
SAN_FLAGS := $(if $(filter 1,$(SAN)),$(SANITIZE),)
CPPFLAGS += -Iinclude -Isrc -I$(BUILD)/gen -D_GNU_SOURCE
CFLAGS ?= $(OPT) -g
CFLAGS += -std=c11 -Wall -Wextra -Werror -Wno-format-truncation -fPIC -pthread $(SAN_FLAGS)
# The library exports only DRT_API names; test programs keep default visibility so that the
# sanitizer hooks and replaced allocators they define (__lsan_default_suppressions, jpeg_get_small) bind.
LIB_CFLAGS := -fvisibility=hidden
LDFLAGS += $(SAN_FLAGS) -pthread
# libgomp: the OpenMP runtime libdnnl is built with, named for src/backend/cpu/cpu-parallel.c (the one file
# compiled with -fopenmp), so darkrt's kernels and oneDNN share one runtime and team.
LDLIBS := -lpng -ljpeg -lprotobuf-c -ldnnl -lgomp -lm
# clang's -fopenmp means its own libomp, a second runtime beside libdnnl's libgomp, and clang generates no code
# for libgomp: under clang (make fuzz) cpu-parallel.c is compiled without it and darkrt's kernels run serially.
OMP_CFLAGS := $(if $(findstring clang,$(CC)),,-fopenmp)
$(BUILD)/obj/src/backend/cpu/cpu-parallel.o: CFLAGS += $(OMP_CFLAGS)
# Only libdarkrt-video.so links FFmpeg.
FFMPEG_LIBS := -lavformat -lavcodec -lavdevice -lswscale -lavutil
# Only libdarkrt-cuda.so (and programs linking libdarkrt-cuda.a) link CUDA.
CUDA_LIBS := -L$(CUDA_HOME)/lib64 -Wl,-rpath,$(CUDA_HOME)/lib64 -lcudnn -lcublasLt -lcublas -lcudart -lstdc++
NVCCFLAGS ?= -O3 -std=c++17 -Xcompiler -fPIC,-Wall,-fvisibility=hidden -Iinclude -Isrc \
  -gencode=arch=compute_90,code=sm_90 -gencode=arch=compute_80,code=sm_80 -gencode=arch=compute_90,code=compute_90

# Per-ISA kernels get their own flags; the rest of the build stays portable.
# -fvect-cost-model=dynamic: -O2's "very cheap" model leaves the kernels' dtype conversions and
# int8 maxpool scalar (a fifth of an int8 yolo-fastest run); without -ffast-math the results are the same.
# GCC's flag only: clang (make fuzz) has no such option, and its -O2 vectorizer has no "very cheap" model.
VECT_COST := $(if $(findstring clang,$(CC)),,-fvect-cost-model=dynamic)
ISA_avx2 := -mavx2 -mfma -mf16c $(VECT_COST)
ISA_avx512 := $(VECT_COST) -mavx2 -mfma -mf16c -mavx512f -mavx512bw -mavx512vl -mavx512dq -mavx512vnni -mavx512bf16

# Modules: a folder each, built into libdarkrt-<name>.so with a private copy of libdarkrt.a's
# helpers (packaging/module.map exports only its drt_module_<name> entry). The CUDA module's
# sources are compiled only when CUDA=1 (no #ifdef in them: this list is the one switch).
CUDA_MOD_SRCS := $(sort $(wildcard src/backend/cuda/*.c))
CU_SRCS := $(if $(filter 1,$(CUDA)),$(sort $(wildcard src/backend/cuda/*.cu)),)
CUDA_OBJS := $(if $(filter 1,$(CUDA)),$(CUDA_MOD_SRCS:%.c=$(BUILD)/obj/%.o) $(CU_SRCS:%.cu=$(BUILD)/obj/%.cu.o),)
VIDEO_MOD_SRCS := $(filter-out src/video/video-name.c src/video/video-calls.c,$(sort $(wildcard src/video/*.c)))
VIDEO_OBJS := $(VIDEO_MOD_SRCS:%.c=$(BUILD)/obj/%.o)
MODULES := $(BUILD)/libdarkrt-video.so $(if $(filter 1,$(CUDA)),$(BUILD)/libdarkrt-cuda.so $(BUILD)/libdarkrt-cuda.a,)
SRCS := $(filter-out $(CUDA_MOD_SRCS) $(VIDEO_MOD_SRCS),$(shell find src -name '*.c' | sort))
CLI_SRCS := $(shell find cli -name '*.c' | sort)
PROTO_C := $(BUILD)/gen/onnx/onnx.pb-c.c
OBJS := $(SRCS:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/gen/onnx.pb-c.o
CLI_OBJS := $(CLI_SRCS:%.c=$(BUILD)/obj/%.o)
TEST_SRCS := $(shell find tests/unit tests/golden -name '*.c' 2>/dev/null | sort)
TEST_BINS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRCS))
# The version comes from the headers; the shared library's SONAME carries the major number.
version_part = $(shell sed -n 's/^\#define DRT_VERSION_$(1) //p' include/darkrt/api.h)
VERSION := $(call version_part,MAJOR).$(call version_part,MINOR).$(call version_part,PATCH)
SONAME := libdarkrt.so.$(call version_part,MAJOR)
DARKNET_DIR := /usr/lib/darknet
DARKNET_LINK := -L$(DARKNET_DIR) -Wl,-rpath,$(DARKNET_DIR) -ldarknet

.PHONY: all deps demo test test-fast bench-cpu bench-gpu clean install print-config print-libs print-cuda-libs
all: $(BUILD)/darkrt $(BUILD)/libdarkrt.a $(BUILD)/libdarkrt.so $(MODULES)

$(PROTO_C): /usr/include/onnx/onnx.proto
	@mkdir -p $(BUILD)/gen/onnx
	cd /usr/include && protoc-c --c_out=$(abspath $(BUILD))/gen onnx/onnx.proto

$(BUILD)/obj/gen/onnx.pb-c.o: $(PROTO_C)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(filter-out -Werror,$(CFLAGS)) $(LIB_CFLAGS) -w -c $< -o $@

$(BUILD)/obj/%.o: %.c | $(PROTO_C)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LIB_CFLAGS) $(if $(findstring /avx512/,$<),$(ISA_avx512),$(if $(findstring /avx2/,$<),$(ISA_avx2),)) -MMD -MP -c $< -o $@

$(BUILD)/obj/%.cu.o: %.cu
	@mkdir -p $(dir $@)
	$(NVCC) $(NVCCFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libdarkrt.a: $(OBJS)
	@rm -f $@
	ar rcs $@ $^

# The CUDA backend as a module, and as an archive for programs that link it in (registry.c).
$(CUDA_OBJS): CPPFLAGS += -I$(CUDA_HOME)/include
# Where an uninstalled build's programs find the modules (after beside themselves).
$(BUILD)/obj/src/core/module.o: CPPFLAGS += -DDRT_MODULE_BUILD_DIR='"$(abspath $(BUILD))/"'
MODULE_LINK := -shared -Wl,--version-script=packaging/module.map -Wl,-Bsymbolic
$(BUILD)/libdarkrt-cuda.so: $(CUDA_OBJS) $(BUILD)/libdarkrt.a packaging/module.map
	$(CC) $(MODULE_LINK) $(LDFLAGS) -o $@ $(CUDA_OBJS) $(BUILD)/libdarkrt.a $(LDLIBS) $(CUDA_LIBS)
$(BUILD)/libdarkrt-video.so: $(VIDEO_OBJS) $(BUILD)/libdarkrt.a packaging/module.map
	$(CC) $(MODULE_LINK) $(LDFLAGS) -o $@ $(VIDEO_OBJS) $(BUILD)/libdarkrt.a $(LDLIBS) $(FFMPEG_LIBS)
$(BUILD)/libdarkrt-cuda.a: $(CUDA_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/libdarkrt.so.$(VERSION): $(OBJS)
	$(CC) -shared $(LDFLAGS) -Wl,-soname,$(SONAME) -o $@ $^ $(LDLIBS)

$(BUILD)/libdarkrt.so: $(BUILD)/libdarkrt.so.$(VERSION)
	ln -sf libdarkrt.so.$(VERSION) $(BUILD)/$(SONAME)
	ln -sf $(SONAME) $@

$(BUILD)/darkrt: $(CLI_OBJS) $(BUILD)/libdarkrt.a
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJS) $(BUILD)/libdarkrt.a $(LDLIBS)

# Test programs: one per file; tests/golden/darknet-* also link Debian's libdarknet.
$(BUILD)/tests/%: tests/%.c $(BUILD)/libdarkrt.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests $(CFLAGS) $(if $(findstring darknet-,$*),-I$(DARKNET_DIR)/include,) -MMD -MP -o $@ $< \
	  $(BUILD)/libdarkrt.a $(LDFLAGS) $(if $(findstring darknet-,$*),$(DARKNET_LINK),) $(LDLIBS)

tests: $(TEST_BINS)

# tests/alexeyab/*.c link AlexeyAB's Darknet, built (and cached) at test time by scripts/alexeyab-build.sh:
# tests/cli/alexeyab.sh makes them with AB_DIR set to its directory.
$(BUILD)/tests/alexeyab/%: tests/alexeyab/%.c $(BUILD)/libdarkrt.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests $(CFLAGS) -Wno-unused-parameter -I$(AB_DIR)/include -o $@ $< $(BUILD)/libdarkrt.a \
	  $(LDFLAGS) -L$(AB_DIR) -Wl,-rpath,$(AB_DIR) -ldarknet $(LDLIBS)

deps:
	@bash scripts/deps.sh

demo: deps
	@$(MAKE) --no-print-directory all
	@bash scripts/demo.sh $(BUILD)

TEST_BUILD ?= build-asan
test: deps
	@$(MAKE) --no-print-directory BUILD=$(TEST_BUILD) SAN=1 all tests
	@bash tests/run.sh $(TEST_BUILD)

# The suite without installing anything (TEST_BUILD=dir to keep builds apart, TESTS=pattern to filter).
test-fast:
	@$(MAKE) --no-print-directory BUILD=$(TEST_BUILD) SAN=1 all tests
	@bash tests/run.sh $(TEST_BUILD)

bench-cpu: deps all
	@bash bench/cpu.sh $(BUILD)

clean:
	rm -rf build build-*

print-config:
	@echo "version=$(VERSION) cuda=$(CUDA) san=$(SAN)"
print-libs:
	@echo "$(LDLIBS)"
print-cuda-libs:
	@echo "$(CUDA_LIBS)"

PREFIX ?= /usr/local
LIBDIR := $(DESTDIR)$(PREFIX)/lib
# Link flags for a program using the installed library: a sanitized build passes its sanitizers on.
empty :=
space := $(empty) $(empty)
PC_SUBST := -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' -e 's|@SONAME@|$(SONAME)|g' -e 's|@MAJOR@|$(call version_part,MAJOR)|g' \
  -e 's|@LIBS@|$(strip $(LDLIBS) -pthread)|g' -e 's|@LIBS_CMAKE@|$(subst $(space),;,$(strip $(LDLIBS) -pthread))|g' \
  -e 's|@LINK_FLAGS@|$(SAN_FLAGS)|g' -e 's|@LINK_FLAGS_CMAKE@|$(subst $(space),;,$(strip $(SAN_FLAGS)))|g'
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/include/darkrt $(LIBDIR)/pkgconfig $(LIBDIR)/cmake/darkrt
	install -m 755 $(BUILD)/darkrt $(DESTDIR)$(PREFIX)/bin/
	install -m 644 include/darkrt.h $(DESTDIR)$(PREFIX)/include/
	install -m 644 include/darkrt/*.h $(DESTDIR)$(PREFIX)/include/darkrt/
	install -m 644 $(BUILD)/libdarkrt.a $(LIBDIR)/
	install -m 755 $(BUILD)/libdarkrt.so.$(VERSION) $(LIBDIR)/
	$(if $(MODULES),install -m 755 $(filter %.so,$(MODULES)) $(LIBDIR)/)
	ln -sf libdarkrt.so.$(VERSION) $(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(LIBDIR)/libdarkrt.so
	sed $(PC_SUBST) packaging/darkrt.pc.in >$(LIBDIR)/pkgconfig/darkrt.pc
	sed $(PC_SUBST) packaging/darkrt-config.cmake.in >$(LIBDIR)/cmake/darkrt/darkrt-config.cmake
	sed $(PC_SUBST) packaging/darkrt-config-version.cmake.in >$(LIBDIR)/cmake/darkrt/darkrt-config-version.cmake

# Out-of-memory tests (tests/unit/oom-*.c): malloc and friends are wrapped so they can fail on demand.
# libjpeg's allocator (jpeg_get_small and friends) is replaced by the test's, exported so libjpeg binds to it.
OOM_WRAP := -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=strdup,--wrap=strndup,--wrap=posix_memalign,--wrap=aligned_alloc \
  '-Wl,--export-dynamic-symbol=jpeg_*'
$(BUILD)/tests/unit/oom-%: tests/unit/oom-%.c $(BUILD)/libdarkrt.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests $(CFLAGS) -MMD -MP -o $@ $< $(BUILD)/libdarkrt.a $(LDFLAGS) $(OOM_WRAP) $(LDLIBS)
# tests/unit/null-args.c calls every public function: the calls are generated from the headers.
$(BUILD)/gen/public-api-calls.h: tests/tools/public-api-calls.py $(wildcard include/darkrt/*.h)
	@mkdir -p $(dir $@)
	python3 $< $(wildcard include/darkrt/*.h) > $@.tmp && mv $@.tmp $@
$(BUILD)/tests/unit/null-args: $(BUILD)/gen/public-api-calls.h
# tests/unit/video-nv12.c checks functions of the video module (src/video/video-nv12.c) against libswscale;
# tests/golden/cuda-nv12.c uses them for the host path that NVDEC frames on the GPU replace.
$(BUILD)/tests/unit/video-nv12 $(BUILD)/tests/golden/cuda-nv12: $(BUILD)/tests/%: tests/%.c $(BUILD)/obj/src/video/video-nv12.o $(BUILD)/libdarkrt.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests $(CFLAGS) -MMD -MP -o $@ $< $(BUILD)/obj/src/video/video-nv12.o $(BUILD)/libdarkrt.a $(LDFLAGS) $(LDLIBS) $(FFMPEG_LIBS)
# The corpus replay (tests/unit/fuzz-replay.c) compiles the fuzz targets in.
$(BUILD)/tests/unit/fuzz-replay: $(wildcard tests/fuzz/*.c tests/fuzz/*.h)

# libFuzzer targets (tests/fuzz/fuzz-*.c), built with clang apart from the default build:
#   make fuzz [FUZZ_BUILD=build-fuzz]   then scripts/fuzz.sh runs them (tests/fuzz/README.md).
FUZZ_BUILD ?= build-fuzz
FUZZ_SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
.PHONY: fuzz fuzz-targets
fuzz:
	@$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) FUZZ_BUILD=$(FUZZ_BUILD) CC=clang CUDA=0 SAN=1 OPT=-O1 \
	  SANITIZE="-fsanitize=fuzzer-no-link $(FUZZ_SAN) -Wno-error -Wno-unknown-warning-option" fuzz-targets
fuzz-targets: $(patsubst tests/fuzz/%.c,$(FUZZ_BUILD)/%,$(wildcard tests/fuzz/fuzz-*.c))
$(FUZZ_BUILD)/fuzz-%: tests/fuzz/fuzz-%.c tests/fuzz/fuzz-common.h $(FUZZ_BUILD)/libdarkrt.a
	$(CC) $(CPPFLAGS) -Itests -std=c11 -O1 -g -Wall -Wextra -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $< \
	  $(FUZZ_BUILD)/libdarkrt.a -pthread -Wl,--as-needed $(LDLIBS)

# Dependencies from -MMD: the objects' and the test programs' (a test that includes a source or header of the tree,
# such as unit/feed-take's cli/video-feed.c, is rebuilt when it changes).
-include $(shell find $(BUILD)/obj $(BUILD)/tests -name '*.d' 2>/dev/null)
