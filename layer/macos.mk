# libmirrord_layer.dylib: the layer's C sources built for macOS, loaded with DYLD_INSERT_LIBRARIES.
#   make -C layer -f macos.mk ARCH=arm64|x86_64 [CC="zig cc -target aarch64-macos"]
# On a Mac, CC=cc (Xcode's clang) with -arch; from Linux, a cross compiler that knows the macOS SDK
# (zig cc). Hooks reach other images through __interpose (macos/interpose.c, macos/hooks.def).
ARCH    ?= arm64
CC      ?= cc
BUILD   ?= build/darwin-$(ARCH)
CFLAGS  ?= -O2
VERSION ?= $(shell node -p "require('../package.json').version" 2>/dev/null || echo 0.0.0)

# Each hooked `name` is compiled as `mirrord_hook_name`, so it does not clash with libSystem's
# symbol and interpose.c can name both.
HOOK_NAMES   := $(shell sed -E -n 's/^MIRRORD_HOOK(_INODE64|_EXTSN)?\(([A-Za-z0-9_]+)\).*/\2/p' macos/hooks.def)
HOOK_RENAMES := $(foreach hook,$(HOOK_NAMES),-D$(hook)=mirrord_hook_$(hook))

ARCH_FLAGS := $(if $(findstring zig,$(CC)),,-arch $(ARCH))
BASE_FLAGS := $(CFLAGS) $(ARCH_FLAGS) -mmacosx-version-min=11.0 -DMIRRORD_LAYER_VERSION=\"$(VERSION)\" \
              -std=gnu11 -fPIC -fvisibility=hidden -Wall -Wextra -Werror -D_DARWIN_C_SOURCE \
              -Wno-deprecated-declarations -Wno-unknown-warning-option -Imacos/include
# syscall(2) is deprecated on macOS but still the raw path sys.h needs; hence -Wno-deprecated-declarations.
# GCC-only pragmas (-Wnonnull-compare) are unknown to clang; hence -Wno-unknown-warning-option.
# macos/include/ supplies <sys/syscall.h> (XNU numbers) and <sys/statfs.h> for the portable sources.

SOURCES := $(shell find src -name "*.c" | sort)
OBJECTS := $(SOURCES:src/%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/macos/interpose.o
HEADERS := $(shell find src macos -name "*.h" -o -name "*.def")
TARGET  := $(BUILD)/libmirrord_layer.dylib

.PHONY: all clean
all: $(TARGET)

$(BUILD)/obj/macos/interpose.o: macos/interpose.c macos/hooks.def
	@mkdir -p $(dir $@)
	$(CC) $(BASE_FLAGS) -c $< -o $@

$(BUILD)/obj/%.o: src/%.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_FLAGS) $(HOOK_RENAMES) -c $< -o $@

$(TARGET): $(OBJECTS)
	$(CC) $(BASE_FLAGS) -dynamiclib -install_name @rpath/libmirrord_layer.dylib -Wl,-undefined,error $^ -o $@

clean:
	rm -rf $(BUILD)
