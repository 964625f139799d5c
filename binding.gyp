# The rwa_native addon (src/trainer/engines/native/cpp): built by scripts/build-native.mjs during
# `npm install`. Plain Node-API, C++17, -O3, no system libraries. The AVX2/FMA kernels are compiled with
# function-level target attributes and chosen at run time, so the addon runs on any x86-64 or ARM64 CPU.
{
  "targets": [
    {
      "target_name": "rwa_native",
      "sources": [
        "src/trainer/engines/native/cpp/addon.cc",
        "src/trainer/engines/native/cpp/attention.cc",
        "src/trainer/engines/native/cpp/cells.cc",
        "src/trainer/engines/native/cpp/common.cc",
        "src/trainer/engines/native/cpp/gru.cc",
        "src/trainer/engines/native/cpp/lstm.cc",
        "src/trainer/engines/native/cpp/model.cc",
        "src/trainer/engines/native/cpp/rda.cc",
        "src/trainer/engines/native/cpp/rwa.cc",
        "src/trainer/engines/native/cpp/sgemm.cc",
        "src/trainer/engines/native/cpp/threadpool.cc",
        "src/trainer/engines/native/cpp/vmath.cc"
      ],
      "cflags!": ["-O2", "-O0", "-fno-exceptions"],
      "cflags_cc!": ["-O2", "-O0", "-fno-exceptions", "-std=gnu++17", "-std=gnu++20"],
      "cflags": ["-O3", "-fexceptions", "-fno-math-errno"],
      "cflags_cc": ["-O3", "-std=c++17", "-fexceptions", "-fno-math-errno"],
      "ldflags": ["-pthread"],
      "defines": ["NAPI_VERSION=8"],
      "conditions": [
        ["OS=='mac'", {
          "xcode_settings": {
            "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
            "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
            "GCC_OPTIMIZATION_LEVEL": "3",
            "MACOSX_DEPLOYMENT_TARGET": "11.0"
          }
        }],
        ["OS=='win'", {
          "msvs_settings": { "VCCLCompilerTool": { "ExceptionHandling": 1, "Optimization": 2 } }
        }]
      ]
    }
  ]
}
