#version 330 core
// arsdk's avatar fragment shader: the DensePose atlas texel, lit from the camera (a headlight), so the
// body reads as a solid with the person's own colours and no dark side. Texels the atlas never saw are
// transparent in the atlas; they keep the base colour.

in vec3 world_position;
in vec3 world_normal;
in vec2 atlas_uv;

struct Material {
    vec4 base_color_factor;
#ifdef HAS_BASE_COLOR_TEX
    sampler2D base_color_texture;
#endif
};

uniform Material material;
uniform vec3 cam_pos;
uniform vec3 ambient_light;

out vec4 frag_color;

void main()
{
    vec4 base = material.base_color_factor;
#ifdef HAS_BASE_COLOR_TEX
    vec4 texel = texture(material.base_color_texture, atlas_uv);
    base = vec4(texel.rgb, 1.0) * base;
#endif
    vec3 to_camera = normalize(cam_pos - world_position);
    float facing = abs(dot(normalize(world_normal), to_camera));
    float light = clamp(max(ambient_light.r, 0.35) + 0.65 * facing, 0.0, 1.2);
    frag_color = vec4(clamp(base.rgb * light, 0.0, 1.0), 1.0);
}
