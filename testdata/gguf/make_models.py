#!/usr/bin/env python3
"""Writes the GGUF fixtures of two tiny vision-language models, the way llama.cpp's converters write them,
with llama.cpp's own gguf-py and numpy only (no torch, transformers, safetensors or sentencepiece).

usage: LLAMA_SRC=<llama.cpp checkout> python3 make_models.py [--dump]     (LLAMA_SRC defaults to /tmp/anchors/llama.cpp)

llama.cpp: node-llama-cpp 3.22.1's bundled llama.cpp, commit de3ff81 (gguf-py 0.19.0). Inputs: ../models/<name>/.
Outputs, next to this script:
- tiny-qwen2-vl-F16.gguf, tiny-qwen2-vl-Q8_0.gguf: `convert_hf_to_gguf.py --outtype f16|q8_0`, i.e.
  conversion/qwenvl.py Qwen2VLModel (arch qwen2vl; TextModel.set_gguf_parameters, _set_vocab_gpt2/get_vocab_base,
  ModelBase.prepare_tensors' type rules, gguf.quants Q8_0);
- tiny-qwen2-vl-mmproj-F16.gguf: `convert_hf_to_gguf.py --mmproj --outtype f16`, i.e. Qwen2VLVisionModel (clip,
  projector qwen2vl_merger: qkv split in three, Conv3d patch embedding split into v.patch_embd.weight/.weight.1);
- tiny-llava-1.5-F16.gguf: `convert_hf_to_gguf.py --outtype f16`, i.e. conversion/llama.py LlamaModel (arch llama,
  Q/K row permutation, _set_vocab_sentencepiece);
- tiny-llava-next-F16.gguf and -mmproj-F16.gguf: the same two routes for LLaVA-NeXT (Mistral text, arch llama; the
  mmproj with llama.cpp's LLaVA-1.6 anyres keys and model.image_newline);
- tiny-llava-1.5-mmproj-F16.gguf: convert_hf_to_gguf.py cannot write it (LlavaVisionModel only takes pixtral/mistral
  vision towers and raises "Unsupported model type: clip_vision_model"), so this mirrors llama.cpp's documented
  LLaVA route, tools/mtmd/legacy-models/llava_surgery_v2.py -C then convert_image_encoder_to_gguf.py
  --clip-model-is-vision --llava-projector (vit/config.json = the model's vision_config): clip, projector mlp,
  mm.0/mm.2, legacy v.* names, last encoder layer and post-layernorm dropped.
Where the converter could not run on these tiny fixtures, the script writes what it would write if it could:
- the Qwen2 tokenizer's pre-tokenizer hash is not one of llama.cpp's (it raises NotImplementedError); the script
  writes tokenizer.ggml.pre = "qwen2", the value of Qwen's real tokenizers;
- with vision depth 2, TensorNameMap (built for bids 0..depth-1) cannot map visual.merger.mlp.2 (ValueError);
  the script names it mm.2 as for the real models (depth 32);
- transformers' AutoConfig is replaced by config.json plus the Qwen2VLVisionConfig defaults the converter reads
  (patch_size 14; the others are not written).
"""
import json
import os
import struct
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, os.path.join(os.environ.get("LLAMA_SRC", "/tmp/anchors/llama.cpp"), "gguf-py"))
import gguf  # noqa: E402
from gguf import GGMLQuantizationType as QT, LlamaFileType as FT, MODEL_ARCH as ARCH, MODEL_TENSOR as MT  # noqa: E402

HERE = Path(__file__).resolve().parent
MODELS = HERE.parent / "models"


# ---------------------------------------------------------------------------------------------------- readers

def read_safetensors(path):
    """name -> array, in header order (as gguf.utility.SafetensorsLocal). BF16 widens to F32 exactly, as the
    converter's `.to(torch.float32)` of any dtype other than F16/F32."""
    raw = Path(path).read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        buf = raw[8 + n + a:8 + n + b]
        dt = info["dtype"]
        if dt == "F32":
            arr = np.frombuffer(buf, dtype="<f4")
        elif dt == "F16":
            arr = np.frombuffer(buf, dtype="<f2")
        elif dt == "BF16":
            arr = (np.frombuffer(buf, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            raise ValueError(f"{name}: unsupported dtype {dt}")
        out[name] = arr.reshape(info["shape"])
    return out


def _varint(b, i):
    v = s = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << s
        s += 7
        if c < 0x80:
            return v, i


def _fields(b):
    """(field number, wire type, value) of one protobuf message; value: int, bytes, or 4/8 raw bytes."""
    i = 0
    while i < len(b):
        key, i = _varint(b, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            val, i = _varint(b, i)
        elif wt == 1:
            val, i = b[i:i + 8], i + 8
        elif wt == 2:
            ln, i = _varint(b, i)
            val, i = b[i:i + ln], i + ln
        elif wt == 5:
            val, i = b[i:i + 4], i + 4
        else:
            raise ValueError(f"protobuf wire type {wt}")
        yield num, wt, val


def read_sentencepiece(path):
    """ModelProto field 1 (repeated SentencePiece {1: piece, 2: score float, 3: type enum, default NORMAL=1})."""
    pieces = []
    for num, _, val in _fields(Path(path).read_bytes()):
        if num != 1:
            continue
        piece, score, typ = "", 0.0, 1
        for n, _, v in _fields(val):
            if n == 1:
                piece = v.decode("utf-8")
            elif n == 2:
                (score,) = struct.unpack("<f", v)
            elif n == 3:
                typ = v
        pieces.append((piece, score, typ))
    return pieces


def load_json(path, default=None):
    return json.loads(Path(path).read_text(encoding="utf-8")) if Path(path).is_file() else default


# ---------------------------------------------------------------------------- ModelBase / TextModel / Mmproj

# transformers' Qwen2VLVisionConfig defaults (AutoConfig adds them; config.json leaves them out)
QWEN2VL_VISION_DEFAULTS = dict(depth=32, embed_dim=1280, hidden_size=3584, hidden_act="quick_gelu", mlp_ratio=4,
                               num_heads=16, in_channels=3, patch_size=14, spatial_merge_size=2,
                               temporal_patch_size=2, initializer_range=0.02)
N_BLOCK_KEYS = ["n_layers", "num_hidden_layers", "n_layer", "num_layers", "depth", "layers", "encoder_layers",
                "vt_num_hidden_layers"]
# ModelBase.prepare_tensors: tensor kinds always kept F32
F32_KINDS = [getattr(MT, k) for k in (
    "FFN_GATE_INP", "FFN_GATE_INP_SHEXP", "POS_EMBD", "TOKEN_TYPES", "SSM_CONV1D", "SHORTCONV_CONV", "TIME_MIX_FIRST",
    "TIME_MIX_W1", "TIME_MIX_W2", "TIME_MIX_DECAY_W1", "TIME_MIX_DECAY_W2", "TIME_MIX_LERP_FUSED", "POSNET_NORM1",
    "POSNET_NORM2", "V_ENC_EMBD_POS", "A_ENC_EMBD_POS", "ALTUP_CORRECT_COEF", "ALTUP_PREDICT_COEF", "SSM_CONV1D_Q",
    "SSM_CONV1D_K", "SSM_CONV1D_V", "INDEXER_PROJ")]
FTYPE_QTYPE = {FT.ALL_F32: QT.F32, FT.MOSTLY_F16: QT.F16, FT.MOSTLY_BF16: QT.BF16, FT.MOSTLY_Q8_0: QT.Q8_0}


def find(hp, keys, optional=False):
    for k in keys:
        if k in hp:
            return hp[k]
    if optional:
        return None
    raise KeyError(f"could not find any of: {keys}")


def bid_of(name):
    return next((int(p) for p in name.split(".") if p.isdecimal()), None)


def is_kind(arch, name, kind, bid):
    """ModelBase.match_model_tensor_name(name, kind, bid) with suffix .weight"""
    if kind not in gguf.MODEL_TENSORS[arch]:
        return False
    key = gguf.TENSOR_NAMES[kind]
    if "{bid}" in key:
        if bid is None:
            return False
        key = key.format(bid=bid)
    elif bid is not None:
        return False
    return name == key + ".weight"


def add_converted(w, arch, ftype, new_name, data, bid, forced=False):
    """ModelBase.prepare_tensors' choice of output type, then gguf.quants.quantize and add_tensor."""
    qtype = forced
    if data.ndim <= 1 or new_name.endswith("_norm.weight"):
        qtype = QT.F32
    if qtype is False and (any(is_kind(arch, new_name, k, bid) for k in F32_KINDS)
                           or new_name[-7:] not in (".weight", ".lora_a", ".lora_b")):
        qtype = QT.F32
    if isinstance(qtype, bool):
        qtype = FTYPE_QTYPE[ftype]
    try:
        out = gguf.quants.quantize(data, qtype)
    except gguf.QuantError:
        qtype = QT.F16
        out = gguf.quants.quantize(data, qtype)
    w.add_tensor(new_name, out, raw_dtype=qtype)


def finish(w, model_dir, gguf_type, set_params, set_vocab, path):
    """ModelBase.write after prepare_tensors: prepare_metadata (gguf.Metadata), parameters, vocab, write."""
    total, shared, expert, count = w.get_total_parameter_count()
    md = gguf.Metadata.load(None, model_dir, None, total)
    if md.name is None:
        md.name = model_dir.name
    if md.size_label is None and total > 0:
        md.size_label = gguf.size_label(total, shared, expert, count)
    w.add_type(gguf_type)
    md.set_gguf_meta_model(w)
    set_params()
    w.add_quantization_version(gguf.GGML_QUANT_VERSION)
    if set_vocab:
        set_vocab()
    write(w, path)


def write(w, path):
    w.write_header_to_file(path=path)
    w.write_kv_data_to_file()
    w.write_tensors_to_file(progress=False)
    w.close()


def text_hparams(cfg):
    hp = {**cfg, **cfg.get("text_config", {})}  # TextModel: text_config moved to the root
    rope = hp.get("rope_parameters", hp.get("rope_scaling")) or {}
    rope = {k: (list(v) if isinstance(v, list) else v) for k, v in rope.items()}
    if "full_attention" not in rope and "sliding_attention" not in rope:
        if "rope_theta" not in rope and (theta := find(hp, ["global_rope_theta", "rope_global_theta",
                                                            "rope_theta_global", "rope_theta",
                                                            "rotary_emb_base"], True)) is not None:
            rope["rope_theta"] = theta
        if "rope_type" not in rope and rope.get("type") is not None:
            rope["rope_type"] = rope["type"]
    return hp, rope


def text_parameters(w, hp, rope, block_count, ftype):
    """TextModel.set_gguf_parameters, the branches these configs reach (no experts, no SWA, no rope scaling)."""
    w.add_block_count(block_count)
    if (v := find(hp, ["max_position_embeddings", "n_ctx", "n_positions", "max_length", "max_sequence_length",
                       "model_max_length"], True)) is not None:
        w.add_context_length(v)
    w.add_embedding_length(find(hp, ["hidden_size", "n_embd", "dim"]))
    w.add_feed_forward_length(find(hp, ["prefix_dense_intermediate_size", "dense_intermediate_size",
                                        "intermediate_size", "n_inner", "hidden_dim"]))
    w.add_head_count(find(hp, ["num_attention_heads", "n_head", "n_heads"]))
    w.add_head_count_kv(find(hp, ["num_key_value_heads", "n_kv_heads"]))
    if rope.get("rope_type") not in (None, "default"):
        raise NotImplementedError(f"rope_type {rope['rope_type']}")  # "default": the converter writes nothing
    if "mrope_section" in rope:
        w.add_rope_dimension_sections((rope["mrope_section"] + [0, 0, 0, 0])[:4])
    if (theta := rope.get("rope_theta")) is not None:
        w.add_rope_freq_base(theta)
    if (eps := find(hp, ["rms_norm_eps", "norm_eps"], True)) is not None:
        w.add_layer_norm_rms_eps(eps)
    if (eps := find(hp, ["layer_norm_eps", "layer_norm_epsilon", "norm_epsilon"], True)) is not None:
        w.add_layer_norm_eps(eps)
    assert find(hp, ["num_local_experts", "num_experts", "n_routed_experts"], True) is None
    if (head_dim := hp.get("head_dim")) is not None:
        w.add_key_length(head_dim)
        w.add_value_length(head_dim)
    w.add_file_type(ftype)


TEXT_SKIP_PREFIXES = ("mlp", "vit.", "vpm.", "siglip2.", "conformer.", "merger.", "resampler.", "sound_encoder.",
                      "sound_projection.", "speech_embeddings.")
TEXT_SKIP_PARTS = ("visual.", "vision.", "audio.", "talker.", "vision_", "audio_", "token2wav.", "code2wav.",
                   "projector.", "pre_mm_projector_norm", "image_newline", "view_seperator", "patch_embed",
                   "patch_embedding", "patch_merger.", "patch_merge_mlp.", "model.connector.")


def text_tensors(model_dir):
    """TextModel.filter_tensors (+ ModelBase's language_model. strip), then prepare_tensors' skip list."""
    for name, data in read_safetensors(model_dir / "model.safetensors").items():
        if name.startswith(TEXT_SKIP_PREFIXES) or any(p in name for p in TEXT_SKIP_PARTS):
            continue
        name = name.replace("language_model.", "")
        if name.endswith((".attention.masked_bias", ".attention.bias", ".rotary_emb.inv_freq")):
            continue
        yield name, data


def does_token_look_special(t):
    return (t in ("<pad>", "<mask>", "<2mass>", "[@BOS@]") or (t.startswith("<|") and t.endswith("|>"))
            or (t.startswith("<｜") and t.endswith("｜>")) or (t.startswith("<unused") and t.endswith(">")))


# ------------------------------------------------------------------------------------------------ Qwen2-VL

def set_vocab_gpt2_qwen2(w, model_dir, hp):
    """TextModel._set_vocab_gpt2 / get_vocab_base, with tokenizer.json in place of AutoTokenizer."""
    tok = load_json(model_dir / "tokenizer.json")
    vocab = dict(tok["model"]["vocab"])
    added = {t["content"]: t for t in tok["added_tokens"]}
    vocab.update({c: t["id"] for c, t in added.items()})  # fast tokenizer get_vocab(): with added tokens
    vocab_size = hp.get("vocab_size", len(vocab))
    assert max(vocab.values()) < vocab_size
    reverse = {i: t for t, i in vocab.items()}
    tokens, types = [], []
    for i in range(vocab_size):
        if i not in reverse:
            tokens.append(f"[PAD{i}]")
            types.append(gguf.TokenType.UNUSED)
            continue
        token = reverse[i]
        if token in added:
            # (get_vocab_base re-encodes non-normalized added tokens through AutoTokenizer; identity for these)
            if added[token]["special"] or does_token_look_special(token):
                types.append(gguf.TokenType.CONTROL)
            else:
                token = token.replace("\u2581", " ")
                types.append(gguf.TokenType.USER_DEFINED)
        else:
            types.append(gguf.TokenType.NORMAL)
        tokens.append(token)
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("qwen2")  # get_vocab_base_pre: the tiny vocabulary's hash is unknown, see the docstring
    w.add_token_list(tokens)
    w.add_token_types(types)
    gguf.SpecialVocab(model_dir, load_merges=True).add_to_gguf(w)


def qwen2vl_text(ftype, path):
    model_dir = MODELS / "tiny-qwen2-vl"
    cfg = load_json(model_dir / "config.json")
    hp, rope = text_hparams(cfg)
    arch = ARCH.QWEN2VL
    block_count = find(hp, ["n_layers", "num_hidden_layers", "n_layer", "num_layers"])
    tmap = gguf.get_tensor_name_map(arch, block_count)
    w = gguf.GGUFWriter(None, gguf.MODEL_ARCH_NAMES[arch])
    for name, data in text_tensors(model_dir):
        name = name.replace("thinker.", "") if name.startswith("thinker.") else name
        new_name = tmap.get_name(name, try_suffixes=(".weight", ".bias"))
        if new_name is None:
            raise ValueError(f"Can not map tensor {name!r}")
        add_converted(w, arch, ftype, new_name, data, bid_of(name))
    finish(w, model_dir, gguf.GGUFType.MODEL, lambda: text_parameters(w, hp, rope, block_count, ftype),
           lambda: set_vocab_gpt2_qwen2(w, model_dir, hp), path)


def preprocessor_config(model_dir):
    cfg = {}
    if (c := load_json(model_dir / "preprocessor_config.json")) is not None:
        cfg.update({**c, **c.get("media_proc_cfg", {})})
    if (c := load_json(model_dir / "processor_config.json")) is not None:
        cfg.update({**c, **c.get("image_processor", {})})
    return cfg


def qwen2vl_mmproj(path):
    """MmprojModel + Qwen2VLVisionModel, --outtype f16."""
    model_dir = MODELS / "tiny-qwen2-vl"
    ftype = FT.MOSTLY_F16
    cfg = load_json(model_dir / "config.json")
    n_embd_text = {**cfg, **cfg.get("text_config", {})}["hidden_size"]
    v = {**QWEN2VL_VISION_DEFAULTS, **cfg["vision_config"]}
    block_count = find(v, N_BLOCK_KEYS)                      # depth (before the renames below)
    v["image_size"] = v.get("image_size", 560)
    v["num_attention_heads"] = v.get("num_heads")
    v["num_hidden_layers"] = v.get("depth")
    if "embed_dim" in v:
        v["intermediate_size"] = v.get("hidden_size")        # sic: the merger's output width
        v["hidden_size"] = v.get("embed_dim")
    pre = preprocessor_config(model_dir)
    arch = ARCH.MMPROJ
    tmap = gguf.get_tensor_name_map(arch, block_count)
    w = gguf.GGUFWriter(None, gguf.MODEL_ARCH_NAMES[arch])

    def emit(name, new_name, data):
        forced = False                                       # MmprojModel / Qwen2VLVisionModel.tensor_force_quant
        if ".patch_embd.weight" in new_name or ".patch_merger.weight" in new_name:
            forced = QT.F16 if ftype == FT.MOSTLY_F16 else QT.F32
        if ".position_embd." in new_name:
            forced = QT.F32
        add_converted(w, arch, ftype, new_name, data, bid_of(name), forced)

    def mapped(name):
        if (new_name := tmap.get_name(name, try_suffixes=(".weight", ".bias"))) is not None:
            return new_name
        parts = name.split(".")  # visual.merger.mlp.<i> past the map's bid range (depth): mm.<i>
        if name.startswith("visual.merger.mlp.") and len(parts) == 5:
            return gguf.TENSOR_NAMES[MT.V_MMPROJ].format(bid=int(parts[3])) + "." + parts[4]
        raise ValueError(f"Can not map tensor {name!r}")

    for name, data in read_safetensors(model_dir / "model.safetensors").items():
        if "language_model." in name or not name.startswith("visual."):
            continue
        if ".qkv." in name:
            c = data.shape[0] // 3
            for part, chunk in zip("qkv", (data[:c], data[c:2 * c], data[2 * c:])):
                n = name.replace("qkv", part)
                emit(n, mapped(n), chunk)
        elif "patch_embed.proj.weight" in name:
            assert data.shape[2] == 2, "temporal_patch_size must be 2"
            base = gguf.TENSOR_NAMES[MT.V_ENC_EMBD_PATCH] + ".weight"
            emit(name, base, np.ascontiguousarray(data[:, :, 0]))
            emit(name, base + ".1", np.ascontiguousarray(data[:, :, 1]))
        else:
            emit(name, mapped(name), data)

    def params():
        w.add_file_type(ftype)
        w.add_clip_has_vision_encoder(True)
        w.add_vision_projection_dim(n_embd_text)
        w.add_vision_image_size(v["image_size"])
        w.add_vision_patch_size(v["patch_size"])
        w.add_vision_embedding_length(find(v, ["hidden_size", "width", "vt_hidden_size"]))
        w.add_vision_feed_forward_length(find(v, ["intermediate_size", "vt_intermediate_size"]))
        w.add_vision_block_count(find(v, N_BLOCK_KEYS))
        w.add_vision_head_count(find(v, ["num_attention_heads", "num_heads", "heads", "vt_num_attention_heads"]))
        w.add_vision_image_mean(pre["image_mean"])
        w.add_vision_image_std(pre["image_std"])
        assert cfg["model_type"] == "qwen2_vl"
        w.add_clip_projector_type(gguf.VisionProjectorType.QWEN2VL)
        w.add_vision_attention_layernorm_eps(cfg.get("rms_norm_eps", 1e-6))

    finish(w, model_dir, gguf.GGUFType.MMPROJ, params, None, path)


# ---------------------------------------------------------------------------------------------- LLaVA-1.5

def permute(w_, n_head, n_head_kv):
    """LlamaModel.permute: HF's rotate-half Q/K rows to GGML's interleaved pairs, per head."""
    if n_head_kv is not None and n_head != n_head_kv:
        n_head = n_head_kv
    return (w_.reshape(n_head, 2, w_.shape[0] // n_head // 2, *w_.shape[1:]).swapaxes(1, 2).reshape(w_.shape))


def set_vocab_sentencepiece(w, model_dir, hp):
    """TextModel._set_vocab_sentencepiece / _create_vocab_sentencepiece."""
    pieces = read_sentencepiece(model_dir / "tokenizer.model")
    vocab_size = find(hp, ["vocab_size_per_layer_input", "vocab_size"], True) or len(pieces)
    tokens = [f"[PAD{i}]".encode() for i in range(vocab_size)]
    scores = [-10000.0] * vocab_size
    types = [gguf.TokenType.UNUSED] * vocab_size
    # sentencepiece IsUnknown / IsControl / IsUnused / IsByte, anything else (NORMAL, USER_DEFINED) NORMAL
    sp_type = {2: gguf.TokenType.UNKNOWN, 3: gguf.TokenType.CONTROL, 5: gguf.TokenType.UNUSED,
               6: gguf.TokenType.BYTE}
    for i, (piece, score, typ) in enumerate(pieces[:vocab_size]):
        tokens[i], scores[i], types[i] = piece.encode("utf-8"), score, sp_type.get(typ, gguf.TokenType.NORMAL)
    for key, i in (load_json(model_dir / "added_tokens.json") or {}).items():
        if i < vocab_size:
            tokens[i], scores[i], types[i] = key.encode("utf-8"), -1000.0, gguf.TokenType.USER_DEFINED
    decoder = (load_json(model_dir / "tokenizer_config.json") or {}).get("added_tokens_decoder", {})
    for i, data in decoder.items():
        i, token = int(i), data["content"]
        if i >= vocab_size:
            continue
        if data.get("special") or does_token_look_special(token):
            types[i] = gguf.TokenType.CONTROL
        else:
            token = token.replace("\u2581", " ")
            types[i] = gguf.TokenType.USER_DEFINED
        scores[i], tokens[i] = -1000.0, token.encode("utf-8")
    w.add_tokenizer_model("llama")
    w.add_tokenizer_pre("default")
    w.add_token_list(tokens)
    w.add_token_scores(scores)
    w.add_token_types(types)
    gguf.SpecialVocab(model_dir, n_vocab=len(tokens)).add_to_gguf(w)


def llava_text(path, name="tiny-llava-1.5"):
    """LlamaModel (text_config.architectures = LlamaForCausalLM or MistralForCausalLM), --outtype f16."""
    model_dir = MODELS / name
    ftype = FT.MOSTLY_F16
    cfg = load_json(model_dir / "config.json")
    hp, rope = text_hparams(cfg)
    arch = ARCH.LLAMA
    block_count = find(hp, ["n_layers", "num_hidden_layers", "n_layer", "num_layers"])
    tmap = gguf.get_tensor_name_map(arch, block_count)
    n_head = find(hp, ["n_heads", "num_attention_heads"])
    n_kv_head = find(hp, ["n_kv_heads", "num_key_value_heads"])
    w = gguf.GGUFWriter(None, gguf.MODEL_ARCH_NAMES[arch])
    for name, data in text_tensors(model_dir):
        name = name.replace("text_model.", "")
        if name.endswith(("q_proj.weight", "q_proj.bias")):
            data = permute(data, n_head, n_head)
        if name.endswith(("k_proj.weight", "k_proj.bias")):
            data = permute(data, n_head, n_kv_head)
        new_name = tmap.get_name(name, try_suffixes=(".weight", ".bias"))
        if new_name is None:
            raise ValueError(f"Can not map tensor {name!r}")
        add_converted(w, arch, ftype, new_name, data, bid_of(name))

    def params():
        text_parameters(w, hp, rope, block_count, ftype)
        w.add_vocab_size(hp["vocab_size"])
        w.add_rope_dimension_count(hp.get("head_dim") or hp["hidden_size"] // hp["num_attention_heads"])

    def vocab():
        tc = load_json(model_dir / "tokenizer_config.json") or {}
        if (add_prefix_space := tc.get("add_prefix_space")) is not None:
            w.add_add_space_prefix(add_prefix_space)
        set_vocab_sentencepiece(w, model_dir, hp)

    finish(w, model_dir, gguf.GGUFType.MODEL, params, vocab, path)


def legacy_clip_name(name):
    """convert_image_encoder_to_gguf.py get_tensor_name (the branches a llava-hf checkpoint reaches)."""
    if name == "image_newline":
        return "model.image_newline"
    if name.startswith("multi_modal_projector"):
        return name.replace("multi_modal_projector", "mm").replace("linear_1", "0").replace("linear_2", "2")
    for a, b in (("text_model", "t"), ("vision_model", "v"), ("encoder.layers", "blk"), ("embeddings.", ""),
                 ("_proj", ""), ("self_attn.", "attn_"), ("layer_norm", "ln"), ("layernorm", "ln"),
                 ("mlp.fc1", "ffn_down"), ("mlp.fc2", "ffn_up"), ("embedding", "embd"), ("final", "post"),
                 ("layrnorm", "ln")):
        name = name.replace(a, b)
    return name


def clip_state_dict_order(n_layers):
    """CLIPVisionModel.state_dict() key order (module registration order; position_ids is not persistent)."""
    keys = ["embeddings.class_embedding", "embeddings.patch_embedding.weight",
            "embeddings.position_embedding.weight", "pre_layrnorm.weight", "pre_layrnorm.bias"]
    for i in range(n_layers):
        for sub in ("self_attn.k_proj", "self_attn.v_proj", "self_attn.q_proj", "self_attn.out_proj", "layer_norm1",
                    "mlp.fc1", "mlp.fc2", "layer_norm2"):
            keys += [f"encoder.layers.{i}.{sub}.weight", f"encoder.layers.{i}.{sub}.bias"]
    keys += ["post_layernorm.weight", "post_layernorm.bias"]
    return ["vision_model." + k for k in keys]


def llava_mmproj(path, name="tiny-llava-1.5"):
    """llava_surgery_v2.py -C + convert_image_encoder_to_gguf.py -m vit --llava-projector vit/llava.projector
    --clip-model-is-vision --image-mean/--image-std <preprocessor_config> (f16). For LLaVA-NeXT, vit/config.json
    is the model's vision_config with the anyres keys of llama.cpp's LLaVA-1.6 instructions (config_vit.json):
    image_grid_pinpoints, image_aspect_ratio anyres, mm_patch_merge_type spatial_unpad, image_crop_resolution; the
    surgery puts image_newline in llava.projector."""
    model_dir = MODELS / name
    cfg = load_json(model_dir / "config.json")
    v = dict(cfg["vision_config"])                           # vit/config.json
    if "image_grid_pinpoints" in cfg:
        v.update(image_grid_pinpoints=cfg["image_grid_pinpoints"], image_aspect_ratio="anyres",
                 mm_patch_merge_type="spatial_unpad", image_crop_resolution=v["image_size"])
    v.setdefault("layer_norm_eps", 1e-5)
    v.setdefault("hidden_act", "quick_gelu")
    tensors = read_safetensors(model_dir / "model.safetensors")
    projector = {k: t for k, t in tensors.items() if k.startswith(("model.mm_projector", "vision_proj.",
                                                                     "multi_modal_projector", "image_newline",
                                                                     "model.image_newline"))}
    clip = {k[k.index("vision_model."):]: t for k, t in tensors.items()
            if k.startswith(("model.vision_tower", "vit.", "vision_tower"))}
    pre = preprocessor_config(model_dir)
    # vit/config.json has no vision_feature_layer / mm_vision_select_layer: no feature layers, drop the last layer
    assert "vision_feature_layer" not in v and "mm_vision_select_layer" not in v
    block_count = v["num_hidden_layers"] - 1
    order = clip_state_dict_order(v["num_hidden_layers"])
    assert set(order) == set(clip), set(order) ^ set(clip)
    keep = [k for k in order if not k.startswith(f"vision_model.encoder.layers.{block_count}.")]

    w = gguf.GGUFWriter(None, "clip")
    w.add_bool("clip.has_text_encoder", False)
    w.add_bool("clip.has_vision_encoder", True)
    w.add_bool("clip.has_llava_projector", True)
    w.add_file_type(1)
    w.add_name(v["_name_or_path"] if "_name_or_path" in v else "vit")
    w.add_description("image encoder for LLaVA")
    w.add_string("clip.projector_type", "mlp")
    w.add_uint32("clip.vision.image_size", v["image_size"])
    w.add_uint32("clip.vision.patch_size", v["patch_size"])
    w.add_uint32(gguf.KEY_EMBEDDING_LENGTH.format(arch="clip.vision"), v["hidden_size"])
    w.add_uint32(gguf.KEY_FEED_FORWARD_LENGTH.format(arch="clip.vision"), v["intermediate_size"])
    w.add_uint32("clip.vision.projection_dim", v.get("projection_dim", cfg.get("projection_dim")))
    w.add_uint32(gguf.KEY_ATTENTION_HEAD_COUNT.format(arch="clip.vision"), v["num_attention_heads"])
    w.add_float32(gguf.KEY_ATTENTION_LAYERNORM_EPS.format(arch="clip.vision"), v["layer_norm_eps"])
    w.add_uint32(gguf.KEY_BLOCK_COUNT.format(arch="clip.vision"), block_count)
    w.add_array("clip.vision.image_mean", pre["image_mean"])
    w.add_array("clip.vision.image_std", pre["image_std"])
    w.add_bool("clip.use_gelu", v["hidden_act"] == "gelu")
    if "image_grid_pinpoints" in v:                          # flattened, as the converter writes them
        w.add_array("clip.vision.image_grid_pinpoints", [p for pair in v["image_grid_pinpoints"] for p in pair])
        w.add_uint32("clip.vision.image_crop_resolution", v["image_crop_resolution"])
        w.add_string("clip.vision.image_aspect_ratio", v["image_aspect_ratio"])
        w.add_string("clip.vision.mm_patch_merge_type", v["mm_patch_merge_type"])

    for name, data in projector.items():                     # llava.projector (float), ndim 2 or 4 -> f16
        dtype = np.float16 if data.ndim in (2, 4) else np.float32
        w.add_tensor(legacy_clip_name(name), data.squeeze().astype(dtype))
    for name in keep:
        if name in ("vision_model.post_layernorm.weight", "vision_model.post_layernorm.bias"):
            continue                                         # should_skip_tensor with a llava projector
        data = clip[name].squeeze()
        if data.ndim == 4 or (name.endswith(".weight") and data.ndim == 2):
            data = data.astype(np.float16)
        else:
            data = data.astype(np.float32)
        w.add_tensor(legacy_clip_name(name), data)
    write(w, path)


# ---------------------------------------------------------------------------------------------------- main

def dump(path):
    r = gguf.GGUFReader(path)
    print(f"== {path.name} ({path.stat().st_size} bytes, {len(r.fields)} keys, {len(r.tensors)} tensors)")
    for f in r.fields.values():
        if f.name.startswith("GGUF."):
            continue
        val = f.contents()
        if f.name == "tokenizer.chat_template":
            val = f"<{len(val)} chars>"
        elif isinstance(val, list) and len(val) > 8:
            val = f"[{len(val)}] {val[:5]} ..."
        print(f"  {f.name} = {val!r}" if isinstance(val, str) and not val.startswith(("<", "[")) else
              f"  {f.name} = {val}")
    for t in r.tensors:
        print(f"  {t.name} {t.tensor_type.name} {list(int(x) for x in t.shape)}")


def main():
    outputs = [
        ("tiny-qwen2-vl-F16.gguf", lambda p: qwen2vl_text(FT.MOSTLY_F16, p)),
        ("tiny-qwen2-vl-Q8_0.gguf", lambda p: qwen2vl_text(FT.MOSTLY_Q8_0, p)),
        ("tiny-qwen2-vl-mmproj-F16.gguf", qwen2vl_mmproj),
        ("tiny-llava-1.5-F16.gguf", llava_text),
        ("tiny-llava-1.5-mmproj-F16.gguf", llava_mmproj),
        ("tiny-llava-next-F16.gguf", lambda p: llava_text(p, "tiny-llava-next")),
        ("tiny-llava-next-mmproj-F16.gguf", lambda p: llava_mmproj(p, "tiny-llava-next")),
    ]
    for name, make in outputs:
        path = HERE / name
        make(path)
        r = gguf.GGUFReader(path)                            # read back: every tensor's data is where it says
        for t in r.tensors:
            assert t.n_bytes == t.data.nbytes, t.name
        print(f"wrote {path} ({path.stat().st_size} bytes, {len(r.tensors)} tensors)")
    if "--dump" in sys.argv[1:]:
        for name, _ in outputs:
            dump(HERE / name)


if __name__ == "__main__":
    main()
