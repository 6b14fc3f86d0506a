{
  "targets": [
    {
      "target_name": "sprig_native",
      "sources": ["src/addon.cc", "src/gemm.cc", "src/conv.cc", "src/elementwise.cc", "src/reduce.cc", "src/pooling.cc",
                  "src/normalisation.cc", "src/softmax.cc", "src/optimizers.cc", "src/sparse_linear.cc", "src/sparse_linear_avx512.cc", "src/sparse_linear_avx2.cc",
                  "src/sparse_conv.cc", "src/sparse_conv_avx512.cc", "src/sparse_conv_avx2.cc", "src/peak.cc", "src/compiled_mlp.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "/usr/include/x86_64-linux-gnu"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_CPP_EXCEPTIONS_ALL", "SPRIG_HAVE_DNNL"],
      "cflags!": ["-fno-exceptions", "-O2"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-O2", "-std=gnu++17"],
      "cflags": ["-O3", "-march=native", "-fopenmp"],
      "cflags_cc": ["-std=c++17", "-O3", "-march=native", "-fopenmp", "-fexceptions", "-frtti"],
      "ldflags": ["-fopenmp"],
      "libraries": ["-ldnnl", "-lopenblas", "-lgomp"]
    }
  ]
}
