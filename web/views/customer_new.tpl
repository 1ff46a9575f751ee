% rebase('layout')
% if error:
<p class="flash error" id="form-error">{{error}}</p>
% end
<form method="post" action="/customers/new" class="card" id="new-customer-form">
  <input type="hidden" name="csrf" value="{{ctx.csrf}}">
  <div class="row">
    <label>{{_('Full name')}}<input name="name" id="new-name" value="{{v.get('name', '')}}"></label>
    <label>{{_('Mobile')}}<input name="mobile" id="new-mobile" value="{{v.get('mobile', '')}}" inputmode="tel"></label>
    <label>{{_('ID number')}}<input name="id_number" id="new-id-number" value="{{v.get('id_number', '')}}" maxlength="18"></label>
  </div>
  <div class="row">
    <label>{{_('Customer no.')}}<input name="customer_no" id="new-customer-no" value="{{v.get('customer_no', '')}}"></label>
    <label>{{_('Gender')}}<select name="gender" id="new-gender">
      % for g in genders:
      <option value="{{g}}" {{'selected' if v.get('gender', '') == g else ''}}>{{ {'M': _('male'), 'F': _('female'), '': _('unknown')}[g] }}</option>
      % end
    </select></label>
    <label>{{_('Region')}}<input name="region" id="new-region" value="{{v.get('region', '')}}"></label>
    <label>{{_('Language')}}<select name="language" id="new-language">
      % for lang in languages:
      <option value="{{lang}}" {{'selected' if v.get('language') == lang else ''}}>{{ {'zh': _('Chinese'), 'en': _('English')}[lang] }}</option>
      % end
    </select></label>
  </div>
  <div class="row">
    <label>{{_('E-mail address')}}<input name="email" id="new-email" value="{{v.get('email', '')}}" inputmode="email"></label>
    <label>{{_('Notices by')}}<select name="channel" id="new-channel">
      % for code, words in channels.items():
      <option value="{{code}}" {{'selected' if v.get('channel', 'sms') == code else ''}}>{{_(words)}}</option>
      % end
    </select></label>
  </div>
  <label><input type="checkbox" name="opt_out" value="1" {{'checked' if v.get('opt_out') else ''}}> {{_('No marketing SMS')}}</label>
  <p class="meta">{{_('Birth date and gender are taken from the ID number.')}}</p>
  <button type="submit" id="new-save">{{_('Add customer')}}</button>
  <a href="/customers">{{_('Back')}}</a>
</form>
